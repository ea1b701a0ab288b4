"""A simulator of multi-animal mouse pose tracking with social-behaviour labels.

:func:`synthesize` writes a complete dataset in the Kaggle MABe 2025 layout,
imitating the recording set-ups, behaviour rates and bout lengths of the 19
real labs in the packaged catalog (:mod:`mabe.data.catalog`). Behaviours
leave kinematic signatures in the pose (:mod:`mabe.data.synth.signatures`)
that a model can learn, blurred by look-alike background motion and tracker
noise.

Modules: ``recording`` (per-video set-up and metadata), ``schedule`` (bouts
and labels), ``kinematics`` / ``controllers`` / ``motion`` (coarse motion),
``signatures`` (the behaviour table), ``posture`` (per-frame posture),
``body`` (keypoints), ``nuisance`` (tracker noise), ``writer`` (files),
``video`` (one video), ``dataset`` (the whole dataset).
"""

from mabe.data.synth.dataset import SynthSummary, synthesize

__all__ = ["SynthSummary", "synthesize"]
