"""Each analysis' settings dataclass is the one home of its defaults and limits: the config schema,
the CLI and the config reader agree with it."""

import argparse
from dataclasses import fields

import pytest
import yaml

from rnnlab.analysis import cli
from rnnlab.analysis.registry import ANALYSES, ClippingSettings, GradientSettings
from rnnlab.analysis.settings import default_of
from rnnlab.config import load_schema
from rnnlab.errors import ConfigError

SCHEMA = load_schema()
SELECTION = {"enabled", "corpora", "models"}  # keys of every analysis entry, not settings


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_schema_agrees_with_the_settings_dataclass(name):
    props = SCHEMA["properties"]["analysis"]["properties"][name]["properties"]
    settings = {f.name: f for f in fields(ANALYSES[name].settings)}
    assert set(props) - SELECTION == set(settings)
    for key, f in settings.items():
        prop, meta, default = props[key], f.metadata, default_of(f)
        assert prop.get("default") == (list(default) if isinstance(default, tuple) else default), key
        assert prop.get("description") == meta["help"], key
        assert prop.get("minimum", prop.get("items", {}).get("minimum")) == meta.get("minimum"), key
        assert prop.get("exclusiveMinimum") == meta.get("exclusive_minimum"), key
        assert tuple(prop["enum"]) == meta["choices"] if "enum" in prop else "choices" not in meta, key


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_cli_options_come_from_the_settings_dataclass(name):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    base = ["analyze", name, "--out", "o"]
    if ANALYSES[name].task is not None:
        base += ["--corpus-dir", "c"]
    if ANALYSES[name].families:
        base += ["m/seed1"]
    if name == "clipping":
        base += ["--seeds", "1"]
    args = parser.parse_args(base)
    built = cli._settings(args, ANALYSES[name].settings)
    expected = {f.name: default_of(f) for f in fields(ANALYSES[name].settings)}
    if name == "clipping":
        expected["seeds"] = (1,)
    assert {f.name: getattr(built, f.name) for f in fields(built)} == expected


def test_limits_name_the_setting():
    with pytest.raises(ConfigError, match="analysis.gradients: setting 'window' must be at least 2"):
        GradientSettings(window=1, positions=1)
    with pytest.raises(ConfigError, match="analysis.clipping: setting 'lr' must be a finite number"):
        ClippingSettings(lr=float("nan"))
    with pytest.raises(ConfigError, match="setting 'seeds' must be at least 0"):
        ClippingSettings(seeds=(-1,))


@pytest.mark.parametrize("preset", ["config.yaml", "paper.yaml"])
def test_shipped_configs_set_only_settings_that_depart_from_their_default(repo_root, preset):
    raw = yaml.safe_load((repo_root / "config" / preset).read_text())
    for name, entry in raw["analysis"].items():
        defaults = {f.name: default_of(f) for f in fields(ANALYSES[name].settings)}
        restated = {k: v for k, v in entry.items()
                    if k in defaults and (tuple(v) if isinstance(v, list) else v) == defaults[k]}
        assert not restated, f"{preset}: analysis.{name} restates its default(s) {restated}"
