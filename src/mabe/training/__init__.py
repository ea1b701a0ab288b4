"""Training: labels, windows, splits, the Lightning module and data module, fit, inference.

Public entry points (import them from their modules; this package imports
nothing so that ``mabe.training.labels`` stays light):

* :func:`mabe.training.fit.fit` ``(config, run_dir, resume=False) -> summary``
* :func:`mabe.training.fit.evaluate` ``(run_dir, data_dir, split, which="best") -> metrics``
* :func:`mabe.training.fit.list_checkpoints` ``(run_dir) -> [{name, epoch, metric, size_bytes}]``
* :func:`mabe.training.inference.load_trained` ``(run_dir, which="best") -> (model, config, run_info)``
* :func:`mabe.training.inference.predict_video` ``(model, config, run_info, video) -> Prediction``

Modules: ``labels`` (seed4 classes, per-pair action targets and whitelist
masks), ``windows`` (time grid, windows, padding, overlap averaging),
``split`` (grouped validation split), ``samples`` (one video -> inputs and
targets), ``datamodule`` (feature cache, window datasets, sampler),
``module`` (LightningModule), ``callbacks`` (metrics.csv, atomic
checkpoints, random states, Ctrl-C), ``prepare`` (config -> prepared data),
``fit``, ``evaluation``, ``inference``, ``run`` (a run directory: paths,
record, summary, checkpoints; no torch) and ``run_records`` (its pydantic
records).
"""
