"""Loading a :class:`~mabe.config.schema.Config`: YAML files, packaged configs, ``--set`` overrides.

An unknown key or a value of the wrong type raises :class:`~mabe.errors.ConfigError`
naming the key and where it came from (the file or the ``--set`` option).

Examples
--------
>>> cfg = load_config(None, ["epochs=3", "conv_channels=[8, 16]"])
>>> cfg.epochs, cfg.conv_channels
(3, [8, 16])
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from mabe.config.schema import Config
from mabe.errors import ConfigError

PACKAGED_CONFIGS: tuple[str, ...] = ("actions", "demo", "v5", "v6")
"""Names of the configs shipped in ``mabe/configs/`` (``load_config("v5")`` works)."""

# --- YAML -------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``3e-4`` / ``1e5`` as floats (YAML 1.2 style)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes a :class:`ConfigError` naming ``source``."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise ConfigError(f"{source}: invalid YAML ({first})") from None


def packaged_config_path(name: str) -> Path:
    """Path of a config shipped with mabe (``"v5"``, ``"v6"``, ``"demo"``, ``"actions"``).

    Raises
    ------
    ConfigError
        If there is no such packaged config.
    """
    stem = name.removesuffix(".yaml")
    if stem not in PACKAGED_CONFIGS:
        raise ConfigError(f"no packaged config {name!r}; choose one of {', '.join(PACKAGED_CONFIGS)}")
    return Path(str(resources.files("mabe") / "configs" / f"{stem}.yaml"))


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML config file into a mapping of key -> value (not yet validated).

    Raises
    ------
    ConfigError
        If the file cannot be read, is not valid YAML or is not a mapping of string keys.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from None
    data = parse_yaml(text, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping of key: value, got {type(data).__name__}")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{path}: key {bad[0]!r} is not a string")
    return data


def parse_override(item: str) -> tuple[str, Any]:
    """Split ``"key=value"``; the value is parsed as YAML (``"[8, 16]"`` is a list).

    Raises
    ------
    ConfigError
        If ``item`` has no ``=`` or an empty key.
    """
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {item}: expected key=value")
    return key, parse_yaml(raw, f"--set {item}") if raw.strip() else None


def _format_error(err: ErrorDetails, sources: dict[str, str], default_source: str) -> str:
    loc = err.get("loc") or ()
    key = str(loc[0]) if loc else ""
    source = sources.get(key, default_source)
    if err.get("type") == "extra_forbidden":
        return f"{source}: unknown key '{key}'"
    if not key:
        return f"{source}: {err.get('msg', 'invalid config')}".replace("Value error, ", "")
    where = ".".join(str(p) for p in loc)
    msg = str(err.get("msg", "invalid value")).replace("Value error, ", "")
    return f"{source}: key '{where}': {msg} (got {err.get('input')!r})"


def validate_config(
    values: dict[str, Any], sources: dict[str, str] | None = None, default_source: str = "config"
) -> Config:
    """Build a :class:`Config` from a mapping, turning pydantic errors into :class:`ConfigError`.

    Parameters
    ----------
    values
        Key -> value.
    sources
        Key -> where it came from (a file name or ``"--set key=value"``), used in messages.
    default_source
        Named in messages about keys without a source (cross-key checks).
    """
    sources = sources or {}
    try:
        return Config(**values)
    except ValidationError as exc:
        errors = exc.errors()
        # unknown keys first: they are the likeliest typo
        errors.sort(key=lambda e: e.get("type") != "extra_forbidden")
        raise ConfigError(_format_error(errors[0], sources, default_source)) from None


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
) -> Config:
    """Load a YAML config, apply ``--set`` overrides, data and run directories.

    Parameters
    ----------
    path
        A YAML file, or the name of a packaged config (``"v5"``, ``"demo"``, ...);
        ``None`` starts from the defaults.
    overrides
        ``"key=value"`` strings; values are parsed as YAML.
    data_dir
        Replaces ``data_dir`` when given.
    out
        Replaces ``run_dir`` when given.

    Raises
    ------
    ConfigError
        Unreadable file, invalid YAML, unknown key, wrong type or inconsistent keys,
        naming the key and the file (or ``--set``).
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    source = "defaults"
    if path is not None:
        file = Path(path)
        if not file.exists() and file.parent == Path(".") and file.name.removesuffix(".yaml") in PACKAGED_CONFIGS:
            file = packaged_config_path(file.name)  # "demo" or "demo.yaml": the packaged config
        values = read_config_file(file)
        source = str(file)
        sources = {k: source for k in values}
    for item in overrides or []:
        key, value = parse_override(item)
        values[key] = value
        sources[key] = f"--set {item}"
    if data_dir is not None:
        values["data_dir"] = str(data_dir)
        sources["data_dir"] = "--data"
    if out is not None:
        values["run_dir"] = str(out)
        sources["run_dir"] = "--out"
    return validate_config(values, sources, default_source=source)


def config_to_yaml(config: Config) -> str:
    """Return the config as YAML text, keys in definition order."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)

