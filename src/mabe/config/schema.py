"""The training configuration schema: a flat pydantic model, one documented field per key.

A config file is a flat YAML mapping. The keys of the reference Conv1D+BiLSTM
config (``data_dir`` ... ``save_freq``) load unchanged and mean what they say;
keys added by ``mabe`` have defaults, so a reference file needs none of them.
Every key is documented on :class:`Config`; reading files and ``--set`` options
is :mod:`mabe.config.loading`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mabe.data.schema import SEED4_GROUPS

DEFAULT_SEED4_GROUPS: dict[str, list[str]] = {k: list(v) for k, v in SEED4_GROUPS.items()}
"""seed4 groups in priority order: a frame in several groups takes the last one."""

_PRECISION_ALIASES = {
    "32": "32",
    "32-true": "32",
    "16": "16-mixed",
    "16-mixed": "16-mixed",
    "bf16": "bf16-mixed",
    "bf16-mixed": "bf16-mixed",
    "auto": "auto",
}


class Config(BaseModel):
    """Every setting of a training run.

    Reference keys (the V5 Conv1D+BiLSTM config)
    ---------------------------------------------
    data_dir
        Dataset directory in the Kaggle layout (``mabe train --data`` overrides it).
    use_kaggle_data
        ``True``: ``data_dir`` must already hold a dataset. ``False``: synthetic
        data; if ``data_dir`` holds no dataset, ``synth_videos`` videos are
        simulated into it first.
    num_mice, num_keypoints
        Mouse and body-part slots of the frame features (``raw`` features have
        ``num_mice * num_keypoints * 2`` columns).
    model_type
        Name passed to :func:`mabe.models.build_model` (``"conv_bilstm"``, ...).
    input_dim
        Model input width. ``None``: the feature width. Larger than the
        features: zero-padded up to it. Smaller: an error.
    num_classes
        Output width. ``None``: 4 for seed4, the action vocabulary size for actions.
    conv_channels, lstm_hidden, lstm_layers, dropout
        Model size, passed to ``build_model``.
    sequence_length
        Frames per window (after resampling to ``fps`` and subsampling by ``frame_gap``).
    frame_gap
        Temporal subsampling: keep every ``frame_gap``-th frame (1 = consecutive),
        so one window spans ``sequence_length * frame_gap`` frames at ``fps``.
        Predictions are held over the frames skipped.
    fps
        Frame rate every video is resampled to (nearest frame) before windowing,
        so windows span the same time whatever the lab's camera. ``None``: native rate.
    epochs, batch_size, learning_rate, weight_decay
        The usual; ``epochs`` is the total, also after ``--resume``.
    optimizer
        ``"adamw"``, ``"adam"`` or ``"sgd"`` (momentum 0.9).
    grad_clip
        Gradient-norm clipping value; ``None`` or 0 disables.
    loss
        ``"cross_entropy"`` (seed4) or ``"bce"`` (actions, masked). ``None``: by scheme.
    class_weights
        seed4: one cross-entropy weight per class. actions: one BCE ``pos_weight``
        per action of the vocabulary. ``None``: unweighted.
    scheduler, scheduler_patience, scheduler_factor, min_lr
        ``"plateau"`` (ReduceLROnPlateau on validation macro-F1, mode max),
        ``"cosine"`` (to ``min_lr`` over ``epochs``) or ``"none"``.
    use_augmentation, noise_std, temporal_jitter
        Training-only augmentation: Gaussian noise on the features and a random
        shift of each window start by up to ``temporal_jitter`` frames.
    early_stopping_patience
        Epochs without validation macro-F1 improvement before stopping; ``None``/0 disables.
    checkpoint_dir
        Where checkpoints go. Relative: inside the run directory (it may not
        leave it). Absolute (e.g. ``/vol/checkpoints``): a subfolder per run,
        ``<checkpoint_dir>/<run name>-<run id>``, so runs never share one. The
        folder used is recorded in ``RUN/run.json``.
    save_freq
        Keep ``epoch=NNN.ckpt`` every ``save_freq`` epochs (``best.ckpt`` and
        ``last.ckpt`` are always written).

    Keys added by mabe
    ------------------
    label_scheme
        ``"seed4"`` (per-frame Other/Social/Mating/Aggressive from any pair) or
        ``"actions"`` (one sample per (agent, target) pair, multi-label over the
        dataset's actions, loss masked to each video's ``behaviors_labeled``).
        ``None``: seed4 for ``conv_bilstm`` with 4 classes, else actions.
    feature_set
        ``"raw"`` / ``"raw+motion"`` (frame features, seed4) or ``"pair"``
        (pair features, actions). ``None``: ``raw`` for seed4, ``pair`` for actions.
    seed4_groups
        Group name -> actions, in priority order (later wins). Class 0 is ``Other``.
    window_stride
        Training window starts are this many frames apart; ``None``: ``sequence_length // 2``.
    predict_length
        Grid points per window at inference only; ``None``: ``sequence_length``
        (the training window). Longer windows run each frame through the network
        fewer times; a video shorter than ``predict_length`` is predicted in one
        window of its own length (at least ``sequence_length``, zero-padded).
    predict_stride
        Stride of the overlapping windows at inference. ``None``: half a window
        (``sequence_length // 2`` when ``predict_length`` is unset), or
        ``predict_length - sequence_length`` when that is larger, so neighbouring
        windows always share at least one training window (>= the model's
        context) of points.
    max_windows_per_epoch
        Random subset of training windows drawn afresh each epoch; ``None``: all.
    val_fraction, split_by, seed
        Validation share of the labelled training videos, grouped by ``"video"``
        or by ``"lab"`` (whole labs held out); the split and training are seeded.
    warmup_epochs
        Linear learning-rate warm-up, per step, over this many epochs (may be fractional).
    label_smoothing
        Cross-entropy label smoothing (seed4).
    pos_weight
        actions: BCE weight of positives for every action (a number), or
        ``"auto"``: per action ``sqrt(negatives / positives)`` over the supervised
        training frames, clipped to [1, 50]. ``class_weights`` (per action) wins.
    threshold
        Probability threshold for the actions scheme's validation metrics.
    precision
        ``"auto"`` (bf16-mixed on a bf16 GPU, 16-mixed on other GPUs, 32 on CPU),
        ``"32"``, ``"bf16-mixed"``, ``"16-mixed"``. Mixed precision falls back to
        32 on CPU so the same command runs everywhere.
    accelerator, devices, strategy, num_nodes, num_workers
        Passed to Lightning's ``Trainer`` / ``DataLoader`` (``strategy="ddp"`` for several GPUs,
        ``num_nodes`` for several machines under torchrun or SLURM).
    feature_dtype
        Storage dtype of cached features (``"float16"`` halves memory).
    feature_cache_gb
        Ignored; still accepted so older config files load. Training features
        are built once per video into the on-disk feature cache
        (``$MABE_CACHE_DIR``, else ``RUN/feature_cache``) and memory-mapped from
        there, so the OS page cache bounds the memory they take.
    model_options
        Extra keyword arguments for ``build_model`` (for models other than conv_bilstm).
    lab_vocabulary
        Labs with their own embedding slot in a lab-conditioned model
        (``tcn_bigru``); a lab outside it shares the "unknown" slot. ``None``:
        the labs of the labelled training videos, recorded in the run's
        ``config.yaml`` when training starts.
    synth_videos, synth_minutes, synth_labs
        The dataset simulated (videos, minutes each, labs; ``None``: all labs)
        when ``use_kaggle_data`` is false and ``data_dir`` is empty.
    ema_decay
        Exponential moving average of the network's weights, updated after
        every optimiser step with this decay (e.g. 0.999); validation,
        checkpoints and prediction use the averaged weights. 0 turns it off.
    mirror_tta
        Prediction only: also predict the left/right mirror image of each video
        (x reflected, left/right body parts swapped, :mod:`mabe.features.mirror`)
        and average the two probabilities. Costs a second network pass.
    mirror_augment
        Training only (with ``use_augmentation``, pair features): each training
        window is shown as its left/right mirror image with probability 1/2.
    run_dir
        Run directory (``mabe train --out``); ``fit`` uses it when not given one.
    log_every_n_steps
        Lightning logging interval.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # --- reference keys -------------------------------------------------
    data_dir: str | None = None
    use_kaggle_data: bool = True
    num_mice: int = Field(4, ge=1, le=4)
    num_keypoints: int = Field(18, ge=1)
    model_type: str = "conv_bilstm"
    input_dim: int | None = Field(None, ge=1)
    num_classes: int | None = Field(None, ge=1)
    conv_channels: list[int] = Field(default_factory=lambda: [64, 128, 256])
    lstm_hidden: int = Field(256, ge=1)
    lstm_layers: int = Field(2, ge=1)
    sequence_length: int = Field(100, ge=1)
    frame_gap: int = Field(1, ge=1)
    fps: float | None = Field(None, gt=0)
    epochs: int = Field(100, ge=1)
    batch_size: int = Field(64, ge=1)
    learning_rate: float = Field(3e-4, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    grad_clip: float | None = Field(1.0, ge=0)
    loss: Literal["cross_entropy", "bce"] | None = None
    class_weights: list[float] | None = None
    scheduler: Literal["plateau", "cosine", "none"] = "plateau"
    scheduler_patience: int = Field(5, ge=0)
    scheduler_factor: float = Field(0.5, gt=0, lt=1)
    min_lr: float = Field(1e-5, ge=0)
    use_augmentation: bool = True
    noise_std: float = Field(0.01, ge=0)
    temporal_jitter: int = Field(2, ge=0)
    dropout: float = Field(0.3, ge=0, lt=1)
    early_stopping_patience: int | None = Field(15, ge=0)
    checkpoint_dir: str = "checkpoints"
    save_freq: int = Field(5, ge=1)

    # --- keys added by mabe ---------------------------------------------
    label_scheme: Literal["seed4", "actions"] | None = None
    feature_set: Literal["raw", "raw+motion", "pair"] | None = None
    seed4_groups: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_SEED4_GROUPS.items()}
    )
    window_stride: int | None = Field(None, ge=1)
    predict_length: int | None = Field(None, ge=1)
    predict_stride: int | None = Field(None, ge=1)
    max_windows_per_epoch: int | None = Field(None, ge=1)
    val_fraction: float = Field(0.2, ge=0, lt=1)
    split_by: Literal["video", "lab"] = "video"
    seed: int = 42
    warmup_epochs: float = Field(0.0, ge=0)
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    pos_weight: float | Literal["auto"] | None = None
    threshold: float = Field(0.5, gt=0, lt=1)
    precision: str = "auto"
    accelerator: str = "auto"
    devices: int | str | list[int] = "auto"
    strategy: str = "auto"
    num_nodes: int = Field(1, ge=1)
    num_workers: int = Field(0, ge=0)
    feature_dtype: Literal["float16", "float32"] = "float16"
    feature_cache_gb: float = Field(4.0, gt=0)
    model_options: dict[str, Any] = Field(default_factory=dict)
    lab_vocabulary: list[str] | None = None
    synth_videos: int = Field(8, ge=1)
    synth_minutes: float = Field(2.0, gt=0)
    synth_labs: list[str] | None = None
    ema_decay: float = Field(0.0, ge=0, lt=1)
    mirror_tta: bool = False
    mirror_augment: bool = False
    run_dir: str | None = None
    log_every_n_steps: int = Field(10, ge=1)

    @field_validator("precision", mode="before")
    @classmethod
    def _normalise_precision(cls, value: Any) -> str:
        key = str(value).strip().lower()
        if key not in _PRECISION_ALIASES:
            raise ValueError(f"must be one of auto, 32, bf16-mixed, 16-mixed (got {value!r})")
        return _PRECISION_ALIASES[key]

    @field_validator("conv_channels")
    @classmethod
    def _positive_channels(cls, value: list[int]) -> list[int]:
        if not value or any(c < 1 for c in value):
            raise ValueError("must be a non-empty list of positive integers")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Config:
        """Infer ``label_scheme``, ``feature_set`` and ``loss``; check they agree."""
        # object.__setattr__ avoids re-running validation on assignment.
        if self.label_scheme is None:
            seed4 = self.model_type == "conv_bilstm" and self.num_classes == 4
            object.__setattr__(self, "label_scheme", "seed4" if seed4 else "actions")
        if self.feature_set is None:
            object.__setattr__(self, "feature_set", "raw" if self.is_seed4 else "pair")
        if self.loss is None:
            object.__setattr__(self, "loss", "cross_entropy" if self.is_seed4 else "bce")
        self._check_consistency()
        return self

    def _check_consistency(self) -> None:
        if self.is_seed4:
            if self.feature_set == "pair":
                raise ValueError("feature_set 'pair' needs label_scheme 'actions'")
            if self.loss != "cross_entropy":
                raise ValueError("label_scheme 'seed4' needs loss 'cross_entropy'")
            n = len(self.seed4_groups) + 1
            if self.num_classes is not None and self.num_classes != n:
                raise ValueError(f"seed4 has {n} classes (Other + seed4_groups), num_classes is {self.num_classes}")
            if self.class_weights is not None and len(self.class_weights) != n:
                raise ValueError(f"class_weights needs one weight per seed4 class ({n}), got {len(self.class_weights)}")
        else:
            if self.feature_set != "pair":
                raise ValueError("label_scheme 'actions' needs feature_set 'pair'")
            if self.loss != "bce":
                raise ValueError("label_scheme 'actions' needs loss 'bce'")
        if self.is_seed4 and self.pos_weight is not None:
            raise ValueError("pos_weight applies to label_scheme 'actions' only")

    @property
    def is_seed4(self) -> bool:
        """Whether the run predicts the four seed4 classes."""
        return self.label_scheme == "seed4"

    @property
    def seed4_class_names(self) -> list[str]:
        """``["Other", *seed4_groups]``."""
        return ["Other", *self.seed4_groups]

    @property
    def train_stride(self) -> int:
        """Stride of training windows (``window_stride`` or half a window)."""
        return self.window_stride or max(1, self.sequence_length // 2)

    @property
    def inference_length(self) -> int:
        """Grid points per inference window (``predict_length`` or ``sequence_length``)."""
        return self.predict_length or self.sequence_length

    @property
    def inference_stride(self) -> int:
        """Stride of overlapping inference windows (see ``predict_stride``).

        Examples
        --------
        >>> Config(sequence_length=128).inference_stride
        64
        >>> Config(sequence_length=128, predict_length=1024).inference_stride
        896
        """
        if self.predict_stride:
            return self.predict_stride
        length = self.inference_length
        return max(1, length // 2, length - self.sequence_length)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python mapping of every key (what :func:`config_to_yaml` writes)."""
        return self.model_dump(mode="json")
