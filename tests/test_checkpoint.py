import math
import random

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from rnnlab import checkpoint


def test_nested_state_round_trip(tmp_path):
    state = {
        "ints": {0: torch.arange(3), 7: {"step": torch.tensor(2.5)}},
        "tuple": (1, "a", None, (2.0, True)),
        "floats": [math.inf, -math.inf, 0.1],
        "array": np.arange(5, dtype=np.uint32),
        "__odd": "key",
    }
    path = tmp_path / "c.safetensors"
    checkpoint.save(path, state)
    back = checkpoint.load(path)
    assert torch.equal(back["ints"][0], torch.arange(3))
    assert back["ints"][7]["step"].item() == 2.5
    assert back["tuple"] == (1, "a", None, (2.0, True))
    assert back["floats"][:2] == [math.inf, -math.inf] and back["floats"][2] == 0.1
    assert back["array"].dtype == np.uint32 and back["array"].tolist() == [0, 1, 2, 3, 4]
    assert back["__odd"] == "key"


def test_nan_survives(tmp_path):
    checkpoint.save(tmp_path / "c.safetensors", {"x": math.nan})
    assert math.isnan(checkpoint.load(tmp_path / "c.safetensors")["x"])


def test_rng_states_restore_the_same_draws(tmp_path):
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    checkpoint.save(tmp_path / "c.safetensors", {"rng": checkpoint.rng_state()})
    first = (random.random(), np.random.rand(), torch.rand(3))
    checkpoint.set_rng_state(checkpoint.load(tmp_path / "c.safetensors")["rng"])
    second = (random.random(), np.random.rand(), torch.rand(3))
    assert first[0] == second[0] and first[1] == second[1] and torch.equal(first[2], second[2])


def test_optimizer_state_round_trip_gives_identical_steps(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(5, 4)).pow(2).sum().backward()
        opt.step()
    checkpoint.save(tmp_path / "c.safetensors", {"model": model.state_dict(), "opt": opt.state_dict()})
    x = torch.randn(5, 4)

    def one_step(m, o):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
        return m.weight.detach().clone()

    expected = one_step(model, opt)
    saved = checkpoint.load(tmp_path / "c.safetensors")
    model2 = torch.nn.Linear(4, 2)
    opt2 = torch.optim.AdamW(model2.parameters(), lr=0.1)
    model2.load_state_dict(saved["model"])
    opt2.load_state_dict(saved["opt"])
    assert torch.equal(one_step(model2, opt2), expected)


def test_shared_tensors_are_stored_separately(tmp_path):
    weight = torch.randn(3, 3)
    checkpoint.save(tmp_path / "c.safetensors", {"a": weight, "b": weight})
    back = checkpoint.load(tmp_path / "c.safetensors")
    assert torch.equal(back["a"], back["b"])


def test_missing_or_corrupt_checkpoint_reads_as_none(tmp_path):
    assert checkpoint.load(tmp_path / "none.safetensors") is None
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert checkpoint.load(bad) is None


@pytest.mark.parametrize("content", [b"\x10\x00\x00\x00\x00\x00\x00\x00{not json", b"", b"\x00" * 3])
def test_corrupt_checkpoint_is_reported_and_moved_aside(tmp_path, capsys, content):
    bad = tmp_path / "checkpoint.safetensors"
    bad.write_bytes(content)
    assert checkpoint.load(bad) is None
    err = capsys.readouterr().err
    assert f"unreadable checkpoint {bad}: " in err and "; starting afresh" in err
    assert f"kept as {bad}.corrupt" in err
    assert not bad.exists() and (tmp_path / "checkpoint.safetensors.corrupt").read_bytes() == content


def test_checkpoint_without_its_skeleton_is_reported(tmp_path, capsys):
    path = tmp_path / "c.safetensors"
    save_file({"x": torch.zeros(1)}, str(path))
    assert checkpoint.load(path) is None
    assert "unreadable checkpoint" in capsys.readouterr().err and (tmp_path / "c.safetensors.corrupt").exists()


def test_failed_save_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / "c.safetensors"
    checkpoint.save(path, {"epoch": 1})
    with pytest.raises(TypeError):
        checkpoint.save(path, {"epoch": 2, "bad": object()})
    assert checkpoint.load(path) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]
