"""Model registry: build any per-frame model by name.

Every registered model maps ``(batch, seq_len, input_dim)`` to
``(batch, seq_len, num_classes)`` logits and takes ``input_dim`` and
``num_classes`` as its first two constructor arguments. To add a model,
put its class in :data:`MODELS`.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from mabe.models.conv_bilstm import ConvBiLSTM
from mabe.models.multiscale import MultiScaleTCNBiGRU
from mabe.models.tcn_bilstm import TCNBiLSTM

MODELS: dict[str, type[nn.Module]] = {
    "conv_bilstm": ConvBiLSTM,
    "tcn_bilstm": TCNBiLSTM,
    "tcn_bigru": MultiScaleTCNBiGRU,
}
"""Registered model classes by ``model_type``."""


def _lookup(model_type: str) -> type[nn.Module]:
    try:
        return MODELS[model_type]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ValueError(f"unknown model_type {model_type!r}; known: {known}") from None


def model_parameters(model_type: str) -> tuple[str, ...]:
    """Keyword arguments the model accepts besides ``input_dim`` and ``num_classes``.

    Raises
    ------
    ValueError
        If ``model_type`` is not registered.

    Examples
    --------
    >>> model_parameters("conv_bilstm")
    ('conv_channels', 'lstm_hidden', 'lstm_layers', 'dropout', 'kernel_size')
    """
    params = inspect.signature(_lookup(model_type)).parameters
    return tuple(p for p in params if p not in ("self", "input_dim", "num_classes"))


def build_model(model_type: str, input_dim: int, num_classes: int, **kwargs: Any) -> nn.Module:
    """Instantiate the model registered as ``model_type``.

    Parameters
    ----------
    model_type
        A key of :data:`MODELS` (``"conv_bilstm"``, ``"tcn_bilstm"``, ``"tcn_bigru"``).
    input_dim, num_classes
        Input feature width and output logits per frame.
    **kwargs
        Size options of that model (see its class).

    Raises
    ------
    ValueError
        If ``model_type`` is unknown or a keyword is not accepted by the model.

    Examples
    --------
    >>> count_parameters(build_model("conv_bilstm", 144, 4))
    2783556
    """
    cls = _lookup(model_type)
    unknown = sorted(set(kwargs) - set(model_parameters(model_type)))
    if unknown:
        raise ValueError(
            f"model_type {model_type!r} does not accept {', '.join(unknown)}; "
            f"accepted: {', '.join(model_parameters(model_type))}"
        )
    return cls(int(input_dim), int(num_classes), **kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameters of ``model`` (all, or only those requiring grad).

    Examples
    --------
    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only))
