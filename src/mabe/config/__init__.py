"""Training configuration: a flat pydantic model (:mod:`.schema`), YAML loading and ``--set`` overrides (:mod:`.loading`).

A config file is a flat YAML mapping. The keys of the reference Conv1D+BiLSTM
config (``data_dir`` ... ``save_freq``) load unchanged and mean what they say;
keys added by ``mabe`` have defaults, so a reference file needs none of them.
Every key is documented on :class:`Config`. The config sized to a dataset
(``mabe train --config recommended``) is :func:`mabe.workflows.recommend.recommended_config`.

How errors are reported, with an example: :mod:`mabe.config.loading`.
"""

from mabe.config.loading import (
    PACKAGED_CONFIGS,
    config_to_yaml,
    load_config,
    packaged_config_path,
    parse_override,
    parse_yaml,
    read_config_file,
    validate_config,
)
from mabe.config.schema import DEFAULT_SEED4_GROUPS, Config

__all__ = [
    "DEFAULT_SEED4_GROUPS",
    "PACKAGED_CONFIGS",
    "Config",
    "config_to_yaml",
    "load_config",
    "packaged_config_path",
    "parse_override",
    "parse_yaml",
    "read_config_file",
    "validate_config",
]
