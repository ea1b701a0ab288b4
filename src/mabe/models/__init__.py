"""Per-frame sequence models and the ``build_model`` factory; per-action tree models (:class:`ActionTrees`)."""

from mabe.models.conv_bilstm import ConvBiLSTM
from mabe.models.factory import MODELS, build_model, count_parameters, model_parameters
from mabe.models.multiscale import MultiScaleTCNBiGRU, WithContext, log_fps
from mabe.models.tcn_bilstm import ResidualTemporalBlock, TCNBiLSTM
from mabe.models.trees import (
    ActionTrees,
    fit_action_trees,
    lgbm_params,
    subsample_negatives,
)

__all__ = [
    "MODELS",
    "ActionTrees",
    "ConvBiLSTM",
    "MultiScaleTCNBiGRU",
    "ResidualTemporalBlock",
    "TCNBiLSTM",
    "WithContext",
    "build_model",
    "count_parameters",
    "fit_action_trees",
    "lgbm_params",
    "log_fps",
    "model_parameters",
    "subsample_negatives",
]
