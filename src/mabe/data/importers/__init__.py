"""Importing other tools' files into the MABe layout.

One module per concern:

- :mod:`~mabe.data.importers.pose` reads pose files through ``movement``
  (DeepLabCut, SLEAP, LightningPose, Anipose, NWB);
- :mod:`~mabe.data.importers.boris`, :mod:`~mabe.data.importers.intervals` and
  :mod:`~mabe.data.importers.frames` read label files into one common table of
  named intervals; :mod:`~mabe.data.importers.labels` resolves the names to
  mouse ids, checks the rows and builds ``behaviors_labeled``;
- :mod:`~mabe.data.importers.sources` records where each imported video came from;
- :mod:`~mabe.data.importers.metadata_row` fills the 38 metadata columns;
- :mod:`~mabe.data.importers.commit` appends to a dataset all-or-nothing;
- :mod:`~mabe.data.importers.clips` adds the labelled clips of ``mabe suggest``
  (one video each, whitelisted for the clip's pair only).
"""
