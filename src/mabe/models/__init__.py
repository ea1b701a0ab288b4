"""Per-frame sequence models and the ``build_model`` factory."""

from mabe.models.conv_bilstm import ConvBiLSTM
from mabe.models.factory import MODELS, build_model, count_parameters, model_parameters
from mabe.models.multiscale import MultiScaleTCNBiGRU, WithContext, log_fps
from mabe.models.tcn_bilstm import ResidualTemporalBlock, TCNBiLSTM

__all__ = [
    "MODELS",
    "ConvBiLSTM",
    "MultiScaleTCNBiGRU",
    "ResidualTemporalBlock",
    "TCNBiLSTM",
    "WithContext",
    "build_model",
    "count_parameters",
    "log_fps",
    "model_parameters",
]
