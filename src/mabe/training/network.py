"""Build the configured network without Lightning (what inference needs, and no more).

:mod:`mabe.training.module` (the LightningModule, which imports Lightning)
uses these too; importing this module costs torch only.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from mabe.config import Config
from mabe.errors import ConfigError
from mabe.models import build_model, model_parameters

_SIZE_ALIASES: dict[str, str] = {"hidden": "lstm_hidden", "rnn_layers": "lstm_layers"}
"""Model arguments filled from a differently named config key (``tcn_bilstm``'s ``hidden``...)."""


def model_kwargs(config: Config) -> dict[str, Any]:
    """Keyword arguments of :func:`mabe.models.build_model` for ``config``.

    The size keys ``conv_channels``, ``lstm_hidden``, ``lstm_layers`` and
    ``dropout`` are passed when the model accepts them (``lstm_hidden`` /
    ``lstm_layers`` also fill a model's ``hidden`` / ``rnn_layers``);
    ``model_options`` are passed as they are and win; a lab-conditioned model
    gets ``n_labs`` from ``lab_vocabulary``.
    """
    try:
        accepted = set(model_parameters(config.model_type))
    except ValueError as exc:
        raise ConfigError(f"model_type: {exc}") from None
    values = config.to_dict()
    kwargs: dict[str, Any] = {k: values[k] for k in ("conv_channels", "lstm_hidden", "lstm_layers", "dropout") if k in accepted}
    kwargs |= {arg: values[key] for arg, key in _SIZE_ALIASES.items() if arg in accepted and key not in accepted}
    kwargs |= config.model_options
    if "n_labs" in accepted and config.lab_vocabulary is not None:  # a slot per lab (+ unknown)
        kwargs["n_labs"] = len(config.lab_vocabulary or [])
    return kwargs


def build_network(config: Config, input_dim: int, num_classes: int) -> nn.Module:
    """Build the configured model: ``(batch, T, input_dim) -> (batch, T, num_classes)`` logits.

    Raises
    ------
    ConfigError
        For an unknown ``model_type`` or ``model_options`` the model does not accept.
    """
    try:
        return build_model(config.model_type, input_dim, num_classes, **model_kwargs(config))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model_type {config.model_type!r}: {exc}") from None
