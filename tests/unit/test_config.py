"""Config loading: the reference V5 keys, unknown keys, wrong types, overrides, packaged configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mabe.config import (
    PACKAGED_CONFIGS,
    Config,
    config_to_yaml,
    load_config,
    packaged_config_path,
)
from mabe.errors import ConfigError
from mabe.workflows.recommend import recommended_config

V5 = {
    "data_dir": "data/mabe",
    "use_kaggle_data": True,
    "num_mice": 4,
    "num_keypoints": 18,
    "model_type": "conv_bilstm",
    "input_dim": 144,
    "num_classes": 4,
    "conv_channels": [64, 128, 256],
    "lstm_hidden": 256,
    "lstm_layers": 2,
    "sequence_length": 100,
    "frame_gap": 1,
    "fps": 33.3,
    "epochs": 100,
    "batch_size": 64,
    "learning_rate": 3e-4,
    "weight_decay": 1e-4,
    "optimizer": "adamw",
    "grad_clip": 1.0,
    "loss": "cross_entropy",
    "class_weights": [0.5, 10, 15, 15],
    "scheduler": "plateau",
    "scheduler_patience": 5,
    "scheduler_factor": 0.5,
    "min_lr": 1e-5,
    "use_augmentation": True,
    "noise_std": 0.01,
    "temporal_jitter": 2,
    "dropout": 0.3,
    "early_stopping_patience": 15,
    "checkpoint_dir": "checkpoints",
    "save_freq": 5,
}


def _write(tmp_path: Path, values: dict, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(values))
    return path


def test_reference_v5_loads_unchanged(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, V5))
    for key, value in V5.items():
        assert getattr(cfg, key) == value, key
    assert cfg.label_scheme == "seed4"
    assert cfg.feature_set == "raw"


def test_scientific_notation_without_dot_is_a_float(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate: 3e-4\nmin_lr: 1e-5\n")
    cfg = load_config(path)
    assert cfg.learning_rate == pytest.approx(3e-4)
    assert cfg.min_lr == pytest.approx(1e-5)


def test_packaged_v5_matches_reference() -> None:
    cfg = load_config("v5")
    for key, value in V5.items():
        if key != "data_dir":
            assert getattr(cfg, key) == value, key


def test_unknown_key_is_named_with_file(tmp_path: Path) -> None:
    path = _write(tmp_path, {**V5, "lstm_hiden": 12})
    with pytest.raises(ConfigError, match="lstm_hiden") as err:
        load_config(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [("epochs", "many"), ("conv_channels", 64), ("optimizer", "adagrad"), ("dropout", 1.5)],
)
def test_wrong_type_names_key(tmp_path: Path, key: str, value: object) -> None:
    path = _write(tmp_path, {**V5, key: value})
    with pytest.raises(ConfigError, match=f"'{key}'") as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_overrides_are_yaml_values(tmp_path: Path) -> None:
    cfg = load_config(
        _write(tmp_path, V5),
        ["epochs=3", "conv_channels=[8, 16]", "precision=bf16", "devices=1"],
        data_dir="elsewhere",
        out="runs/x",
    )
    assert cfg.epochs == 3 and cfg.conv_channels == [8, 16]
    assert cfg.precision == "bf16-mixed" and cfg.devices == 1
    assert cfg.data_dir == "elsewhere" and cfg.run_dir == "runs/x"


def test_bad_override_names_set() -> None:
    with pytest.raises(ConfigError, match=r"--set epochs=x.*'epochs'"):
        load_config(None, ["epochs=x"])
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        load_config(None, ["nope=1"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["epochs"])


def test_inconsistent_scheme_is_an_error() -> None:
    with pytest.raises(ConfigError, match="class_weights"):
        load_config(None, ["num_classes=4", "class_weights=[1, 2]"])
    with pytest.raises(ConfigError, match="pair"):
        load_config(None, ["label_scheme=seed4", "feature_set=pair"])


def test_label_scheme_inference() -> None:
    assert load_config(None, ["num_classes=4"]).label_scheme == "seed4"
    cfg = load_config(None)
    assert cfg.label_scheme == "actions" and cfg.feature_set == "pair" and cfg.loss == "bce"


def test_dump_round_trip(tmp_path: Path) -> None:
    cfg = load_config("v6", ["epochs=7"])
    path = tmp_path / "config.yaml"
    path.write_text(config_to_yaml(cfg))
    again = load_config(path)
    assert again == cfg
    assert "epochs: 7" in config_to_yaml(cfg)


@pytest.mark.parametrize("name", PACKAGED_CONFIGS)
def test_packaged_configs_load(name: str) -> None:
    assert packaged_config_path(name).exists()
    assert isinstance(load_config(name), Config)


def test_top_level_configs_match_package() -> None:
    root = Path(__file__).resolve().parents[2] / "configs"
    for name in PACKAGED_CONFIGS:
        assert (root / f"{name}.yaml").read_text() == packaged_config_path(name).read_text()


def _n_params(cfg: Config) -> int:
    from mabe.models import build_model, count_parameters

    model = build_model(
        cfg.model_type,
        cfg.input_dim,
        cfg.num_classes,
        conv_channels=cfg.conv_channels,
        lstm_hidden=cfg.lstm_hidden,
        lstm_layers=cfg.lstm_layers,
        dropout=cfg.dropout,
    )
    return count_parameters(model)


def test_v5_and_v6_parameter_counts(tmp_path: Path) -> None:
    assert _n_params(load_config(_write(tmp_path, V5))) == 2_783_556
    v6 = load_config("v6")
    assert v6.input_dim == 288 and v6.feature_set == "raw+motion"
    assert _n_params(v6) == 2_811_204


def test_recommended_config_is_actions_sized_to_data(tmp_path: Path) -> None:
    from mabe.data.io import MabeDataset
    from mabe.data.synth import synthesize

    root = tmp_path / "data"
    synthesize(root, n_videos=3, seed=0, labs=["CalMS21_task1"], minutes=0.2, progress=False)
    cfg = recommended_config(MabeDataset(root), ["epochs=2"])
    assert cfg.label_scheme == "actions" and cfg.feature_set == "pair" and cfg.model_type == "tcn_bigru"
    assert cfg.epochs == 2 and cfg.lstm_hidden == 64 and cfg.data_dir == str(root)


@pytest.mark.parametrize("name", ["demo", "demo.yaml", "v5.yaml"])
def test_packaged_configs_are_found_with_or_without_yaml(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no such file here: the packaged config is meant
    assert load_config(name).model_type == load_config(name.removesuffix(".yaml")).model_type


def test_a_local_file_wins_over_the_packaged_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.yaml").write_text("epochs: 7\n")
    assert load_config("demo.yaml").epochs == 7
