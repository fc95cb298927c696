import copy
from types import SimpleNamespace
from pathlib import Path

import pytest
import yaml

from rnnlab.config import from_dict, load_config
from rnnlab.errors import ConfigError


@pytest.fixture
def raw(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "config/config.yaml").read_text())


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_shipped_presets_are_valid(repo_root: Path, name: str):
    cfg = load_config(repo_root / "config" / name)
    assert cfg.seeds and cfg.experiments
    assert list(cfg.jobs())


def test_unknown_key_is_named(raw):
    raw["lerning_rate"] = 1
    with pytest.raises(ConfigError, match="unknown key 'lerning_rate' under \\(top level\\)"):
        from_dict(raw)


def test_nested_unknown_key_is_named(raw):
    raw["corpora"]["synthetic-lm"]["tokeniser"] = "whitespace"
    with pytest.raises(ConfigError, match="'tokeniser' under corpora.synthetic-lm"):
        from_dict(raw)


def test_wrong_value_is_named(raw):
    raw["seeds"] = ["one"]
    with pytest.raises(ConfigError, match="seeds.0: 'one' is not of type 'integer'"):
        from_dict(raw)


def test_source_specific_requirements(raw):
    raw["corpora"]["mine"] = {"task": "lm", "source": "local"}
    with pytest.raises(ConfigError, match="corpora.mine: 'files' is a required property"):
        from_dict(raw)


def test_undefined_corpus_and_task_mismatch(raw):
    bad = copy.deepcopy(raw)
    bad["experiments"]["lm"]["corpora"].append("nowhere")
    with pytest.raises(ConfigError, match="'nowhere' is not defined under corpora"):
        from_dict(bad)
    bad = copy.deepcopy(raw)
    bad["experiments"]["lm"]["corpora"] = ["synthetic-sentiment"]
    with pytest.raises(ConfigError, match="declared with task 'classification'"):
        from_dict(bad)


def test_unknown_model_is_named(raw):
    raw["experiments"]["lm"]["models"]["transformer"] = {}
    with pytest.raises(ConfigError, match="experiments.lm.models.transformer: unknown model 'transformer'"):
        from_dict(raw)


def test_classifier_cannot_be_a_language_model(raw):
    raw["experiments"]["lm"]["models"]["ngram-nb"] = {}
    with pytest.raises(ConfigError, match="model 'ngram-nb' cannot be used for task 'lm'"):
        from_dict(raw)


def test_deterministic_models_run_once(raw):
    cfg = from_dict(raw)
    seeds = {(j.model, j.seed) for j in cfg.jobs()}
    assert ("ngram-kn3", 0) in seeds and ("ngram-kn3", 1) not in seeds


def test_missing_file_and_bad_yaml(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("seeds: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_cli_validate(repo_root: Path, capsys, tmp_path: Path):
    from rnnlab.cli import main

    assert main(["config", "validate", str(repo_root / "config/config.yaml")]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: x\n")
    assert main(["config", "validate", str(bad)]) == 2
    assert "'seeds' is a required property" in capsys.readouterr().err


def test_hyperparameters_are_checked_before_any_job(raw):
    raw["experiments"]["lm"]["models"]["lstm"] = {"hiden": 10}
    with pytest.raises(ConfigError, match="experiments.lm.models.lstm: unknown parameter 'hiden'"):
        from_dict(raw)


def test_nb_and_ngram_parameters_are_checked(raw):
    raw["experiments"]["classification"]["models"]["ngram-nb"] = {"alpah": 1}
    raw["experiments"]["lm"]["models"]["ngram-kn3"] = {"order": 4}
    with pytest.raises(ConfigError) as err:
        from_dict(raw)
    assert "ngram-nb: unknown Naive Bayes parameter(s) ['alpah']" in str(err.value)
    assert "ngram-kn3: unknown n-gram LM parameter(s) ['order']" in str(err.value)


def test_bidirectional_language_model_is_refused_with_reason(raw):
    raw["experiments"]["lm"]["models"]["bilstm"] = {}
    with pytest.raises(ConfigError, match="'bilstm' cannot be used for task 'lm': a bidirectional model sees"):
        from_dict(raw)


def test_gpu_request_without_gpu_is_refused(raw, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    raw["device"] = "cuda"
    with pytest.raises(ConfigError, match="no CUDA GPU is available; set device: cpu or auto"):
        from_dict(raw)


def test_triton_backend_on_cpu_is_refused(raw, monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    raw["backend"] = "triton"
    with pytest.raises(ConfigError, match="backend 'triton'"):
        from_dict(raw)


def test_analysis_section_is_read_into_typed_settings(raw):
    cfg = from_dict(raw)
    gradients = cfg.analyses["gradients"]
    assert gradients.enabled and gradients.corpora == ("synthetic-lm",) and gradients.models == ("rnn", "lstm")
    assert gradients.settings.window == 50
    clipping = cfg.analyses["clipping"]
    assert clipping.settings.seeds is None and "--seeds 1 2 3 4 5" in " ".join(clipping.cli_args(cfg.seeds))
    assert cfg.analyses["bidirectional"].models == ("rnn", "lstm", "lstm-fb0", "bilstm", "lstm-2layer")
    assert cfg.analyses["significance"].enabled


def test_analysis_models_default_to_every_model_it_can_read(raw):
    del raw["analysis"]["long-distance"]["models"], raw["analysis"]["gradients"]["models"]
    cfg = from_dict(raw)
    assert cfg.analyses["long-distance"].models == tuple(raw["experiments"]["lm"]["models"])
    assert cfg.analyses["gradients"].models == ("rnn", "lstm")


@pytest.mark.parametrize("switch_off", [{"enabled": False}, {"corpora": []}])
def test_an_analysis_can_be_switched_off(raw, switch_off):
    raw["analysis"]["gradients"].update(switch_off)
    assert not from_dict(raw).analyses["gradients"].enabled


def test_analysis_corpus_outside_its_task_is_named(raw):
    raw["analysis"]["gradients"]["corpora"] = ["synthetic-sentiment"]
    with pytest.raises(ConfigError, match="analysis.gradients.corpora: 'synthetic-sentiment' is not a corpus of "
                                          "experiments.lm.corpora \\(the gradients analysis needs lm corpora"):
        from_dict(raw)


def test_analysis_model_outside_the_experiment_is_named(raw):
    raw["analysis"]["bidirectional"]["models"] = ["lstm", "bilstm-2layer"]
    with pytest.raises(ConfigError, match="analysis.bidirectional.models: 'bilstm-2layer' is not a model of "
                                          "experiments.classification.models"):
        from_dict(raw)


def test_analysis_model_of_the_wrong_family_is_named(raw):
    raw["analysis"]["gradients"]["models"] = ["rnn", "ngram-kn3"]
    with pytest.raises(ConfigError, match="analysis.gradients.models: 'ngram-kn3' is a ngram model; the gradients "
                                          "analysis reads only rnn, lstm models"):
        from_dict(raw)


def test_unknown_analysis_and_setting_are_named(raw):
    raw["analysis"]["clipping"]["lr_max"] = 3
    with pytest.raises(ConfigError, match="unknown key 'lr_max' under analysis.clipping"):
        from_dict(raw)
    del raw["analysis"]["clipping"]["lr_max"]
    raw["analysis"]["saliency"] = {"corpora": []}
    with pytest.raises(ConfigError, match="unknown key 'saliency' under analysis"):
        from_dict(raw)


def _message(raw) -> str:
    with pytest.raises(ConfigError) as info:
        from_dict(raw)
    return str(info.value)


@pytest.mark.parametrize("key", ["hidden", "emb"])
@pytest.mark.parametrize("task, model", [("lm", "rnn"), ("lm", "lstm"), ("tagging", "bilstm"), ("lm", "window")])
def test_model_too_large_for_the_machine_is_refused(raw, task, model, key):
    raw["experiments"][task]["models"][model][key] = 10**9
    message = _message(raw)
    assert f"experiments.{task}.models.{model}.{key}: training needs about" in message
    assert "GiB" in message and "this machine's" in message


def test_a_gpu_run_is_compared_with_the_gpu_memory(raw, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: SimpleNamespace(total_memory=2**30))
    monkeypatch.setattr("rnnlab.models.neural.resolve_runtime", lambda device, backend: (device, "torch"))
    raw["device"] = "cuda"
    raw["experiments"]["lm"]["models"]["lstm"]["hidden"] = 4096
    message = _message(raw)
    assert "experiments.lm.models.lstm.hidden: training needs about" in message
    assert "more than GPU 0's 1.0 GiB" in message
    raw["device"] = "cpu"
    from_dict(raw)  # the same model fits this machine's memory


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_float_is_named_by_its_key_path(raw, value):
    raw["experiments"]["lm"]["models"]["rnn"]["lr"] = value
    assert "experiments.lm.models.rnn.lr: " in _message(raw)


def test_huge_learning_rate_is_refused(raw):
    raw["training"] = {"lr": 1e300}
    assert "training.lr: 1e+300 must be in (0, 100]" in _message(raw)


def test_generator_size_is_bounded(raw):
    raw["corpora"]["synthetic-lm"].setdefault("params", {})["n_train"] = 10**9
    assert "corpora.synthetic-lm.params.n_train: 1000000000 is above the limit" in _message(raw)


def test_generator_name_typo_is_named(raw):
    raw["corpora"]["synthetic-lm"]["generator"] = "synthetic-lmx"
    assert "corpora.synthetic-lm.generator: unknown generator 'synthetic-lmx'" in _message(raw)


def test_generator_parameter_typo_is_named(raw):
    raw["corpora"]["synthetic-lm"].setdefault("params", {})["n_trian"] = 10
    assert "corpora.synthetic-lm.params: unknown parameter 'n_trian' for generator" in _message(raw)


def test_download_name_outside_the_registry_is_named(raw):
    raw["corpora"]["wt"] = {"task": "lm", "source": "download", "name": "wikitext-2"}
    assert "corpora.wt.name: unknown corpus 'wikitext-2'" in _message(raw)


def test_analysis_split_typo_is_named(raw):
    raw["analysis"]["gradients"]["split"] = "tset"
    assert "analysis.gradients.split: 'tset' is not one of" in _message(raw)


@pytest.mark.parametrize("key", ["lstm-2_layer", "lstm-Big.v2", "lstm-x'y"])
def test_model_key_the_wildcard_cannot_match_is_named(raw, key):
    raw["experiments"]["lm"]["models"][key] = {}
    assert f"experiments.lm.models: {key!r} does not match" in _message(raw)


def test_model_key_pattern_is_the_snakemake_wildcard(repo_root: Path):
    import re

    schema = yaml.safe_load((repo_root / "src/rnnlab/schemas/config.schema.yaml").read_text())
    pattern = schema["$defs"]["experiment"]["properties"]["models"]["propertyNames"]["pattern"]
    common = (repo_root / "workflow/rules/common.smk").read_text()
    wildcard = re.search(r'^\s*model=r"([^"]+)"', common, re.M).group(1)
    assert pattern == f"^{wildcard}$"


def test_bad_training_value_is_named_once_by_its_own_key(raw):
    raw["training"] = {"epochs": "three"}
    message = _message(raw)
    assert "training.epochs: parameter 'epochs' must be int, got 'three'" in message
    assert message.count("'epochs'") == 1


def test_ngram_memory(raw):
    assert from_dict(copy.deepcopy(raw)).ngram_memory is None
    raw["ngram"] = {"memory": "512M"}
    assert from_dict(copy.deepcopy(raw)).ngram_memory == "512M"
    raw["ngram"] = {"memory": "lots"}
    with pytest.raises(ConfigError, match="ngram.memory: 'lots' does not match"):
        from_dict(copy.deepcopy(raw))
    raw["ngram"] = {"memory": "1K"}
    with pytest.raises(ConfigError, match="ngram.memory: the memory budget '1K' is below the minimum"):
        from_dict(raw)


def test_seeds_in_one_job(raw):
    assert from_dict(copy.deepcopy(raw)).seeds_in_one_job is True  # the default preset sets it
    del raw["seeds_in_one_job"]
    assert from_dict(copy.deepcopy(raw)).seeds_in_one_job is False  # the schema's default: a job per seed
    raw["seeds_in_one_job"] = "yes"
    with pytest.raises(ConfigError, match="seeds_in_one_job: 'yes' is not of type 'boolean'"):
        from_dict(raw)


def test_every_default_comes_from_the_schema_and_a_corpus_vocab_overrides_only_its_own_keys():
    from rnnlab.config import load_schema

    raw = {"preset": "min", "seeds": [1], "vocab": {"min_freq": 3},
           "corpora": {"a": {"task": "lm", "source": "generate", "generator": "synthetic-lm",
                             "vocab": {"max_size": 50}},
                       "b": {"task": "ner", "source": "generate", "generator": "synthetic-ner"}},
           "experiments": {"lm": {"corpora": ["a"], "models": {"ngram-kn2": {}}}}}
    before = copy.deepcopy(raw)
    cfg = from_dict(raw)
    top = load_schema()["properties"]
    assert (cfg.device, cfg.threads, cfg.backend) == (top["device"]["default"], top["threads"]["default"], None)
    assert (cfg.download.mirror, cfg.download.timeout, cfg.download.retries) == (None, 30, 3)
    assert cfg.corpora["a"].seed == 0 and cfg.corpora["b"].iob is None
    # The top-level min_freq stays; the corpus sets only max_size.
    assert (cfg.corpora["a"].vocab.min_freq, cfg.corpora["a"].vocab.max_size) == (3, 50)
    assert (cfg.corpora["b"].vocab.min_freq, cfg.corpora["b"].vocab.max_size) == (3, None)
    assert raw == before and cfg.raw == before  # the caller's dict is left as given
    # The filled copy holds every default, as the report records it.
    assert "threads" not in raw and cfg.filled["threads"] == top["threads"]["default"]
    assert cfg.filled["corpora"]["a"]["seed"] == 0 and cfg.filled["download"]["retries"] == 3
