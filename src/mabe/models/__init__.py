"""Per-frame sequence models and the ``build_model`` factory."""

from mabe.models.conv_bilstm import ConvBiLSTM
from mabe.models.factory import MODELS, build_model, count_parameters, model_parameters
from mabe.models.tcn_bilstm import ResidualTemporalBlock, TCNBiLSTM

__all__ = [
    "MODELS",
    "ConvBiLSTM",
    "ResidualTemporalBlock",
    "TCNBiLSTM",
    "build_model",
    "count_parameters",
    "model_parameters",
]
