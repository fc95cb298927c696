import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from rnnlab import checkpoint, train_lock
from rnnlab.errors import RnnlabError
from rnnlab.train import TrainConfig, fit
from rnnlab.workflow import Plan


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


HOLD = """
import sys, time
from rnnlab import train_lock
with train_lock.hold(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def held(tmp_path):
    """A child process that holds the training lock of tmp_path/checkpoints/c/m/seed1 until killed."""
    folder = tmp_path / "checkpoints" / "c" / "m" / "seed1"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "SLURM_JOB_ID": "77"}
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "held\n"
        yield child, folder
    finally:
        child.kill()
        child.wait()


def test_a_trainer_holding_its_folder_is_listed_until_it_is_killed(held, tmp_path):
    child, folder = held
    [trainer] = train_lock.running_trainers(tmp_path / "checkpoints")
    assert (trainer.folder, trainer.pid, trainer.slurm_job) == (folder, child.pid, "77")
    assert trainer.host == socket.gethostname()
    Plan.remove_empty_checkpoint_folders(tmp_path / "checkpoints")
    assert (folder / train_lock.LOCK).exists()  # held: kept with its folder
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert train_lock.running_trainers(tmp_path / "checkpoints") == []
    assert (folder / train_lock.LOCK).exists()  # a kill -9 leaves the file, which nobody holds
    Plan.remove_empty_checkpoint_folders(tmp_path / "checkpoints")
    assert not (tmp_path / "checkpoints").exists()


def test_a_second_trainer_on_a_held_folder_is_refused(held, tmp_path):
    child, folder = held
    objective = SimpleNamespace(model=torch.nn.Linear(2, 1))
    expected = (rf"{re.escape(str(folder))} is in use by training job pid {child.pid} on host \S+ since \S+, "
                rf"SLURM job 77; wait for it or kill {child.pid} \(or scancel 77\), then rerun")
    with pytest.raises(RnnlabError, match=expected):
        fit(objective, TrainConfig(epochs=1), tmp_path / "out", fingerprint="x", model_meta={}, status_extra={},
            checkpoint_dir=folder)
    assert train_lock.running_trainers(tmp_path / "checkpoints")[0].pid == child.pid  # the holder keeps it


def test_a_finished_trainer_leaves_no_lock_and_no_empty_folder(tmp_path):
    folder = tmp_path / "checkpoints" / "seed1"
    with train_lock.hold(folder):
        assert (folder / train_lock.LOCK).exists()
    assert not folder.exists()
    with train_lock.hold(folder):
        (folder / "checkpoint.safetensors").write_bytes(b"x")  # a kept checkpoint keeps its folder
    assert [p.name for p in folder.iterdir()] == ["checkpoint.safetensors"]


def test_snakemake_start_names_the_running_trainers_and_refuses(held, tmp_path, capsys):
    child, folder = held
    root = tmp_path / "checkpoints"
    with pytest.raises(RnnlabError) as info:
        Plan.refuse_while_training(["snakemake", "--cores", "2"], root)
    message = str(info.value)
    assert message.startswith(f"1 training job(s) still running in {root}:\n  {folder}: training job pid {child.pid} ")
    assert f"stop them (kill {child.pid} (or scancel 77))" in message
    assert "`snakemake --unlock`" in message
    for argv in (["snakemake", "-n"], ["snakemake", "-np"], ["snakemake", "--unlock"]):
        Plan.refuse_while_training(argv, root)  # told, not refused: these start no job
        assert f"warning: 1 training job(s) still running in {root}" in capsys.readouterr().err
    child.kill()
    child.wait()
    Plan.refuse_while_training(["snakemake", "--cores", "2"], root)
