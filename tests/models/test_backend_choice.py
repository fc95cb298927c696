"""``backend: auto``: the decision on injected timings and the check on an injected mismatch, with loop
standing in for triton on the CPU; no timed assertions. A job's records: tests/models/test_neural.py."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import rnnlab.nn as rnn_nn
from rnnlab.errors import RnnlabError
from rnnlab.models import backend_choice
from rnnlab.models.backend_choice import BackendMismatchError, choose_backend, decide
from rnnlab.nn.backends import REGISTRY
from rnnlab.nn.backends.torch_vf import TorchBackend


class Tagger(nn.Module):
    """Embedding-free: dropout, a two-layer LSTM with dropout between layers, dropout, a linear read-out."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.3)
        self.rnn = rnn_nn.LSTM(3, 8, num_layers=2, dropout=0.4, backend=backend)
        self.out = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(self.rnn(self.drop(x))[0]))


class Objective:
    """The parts of rnnlab.train.Objective the choice uses, over four fixed batches (T = 5, B = 4)."""

    def __init__(self, backend: str = "torch") -> None:
        torch.manual_seed(0)
        self.model = Tagger(backend)
        self.inputs = torch.randn(4, 5, 4, 3)
        self.targets = torch.randint(0, 2, (4, 5, 4))
        self.started = 0

    def num_batches(self) -> int:
        return len(self.inputs)

    def start_epoch(self, epoch: int) -> None:
        self.started += 1

    def batch_loss(self, index: int):
        logits = self.model(self.inputs[index])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), self.targets[index].flatten())
        return loss, self.targets[index].numel(), self.targets[index].numel()


def timer_by_backend(objective: Objective, times: dict[str, float]):
    """A step timer that runs the step and reports the injected time of the backend the model is on."""
    def timed(step) -> float:
        step()
        return times[objective.model.rnn.backend]
    return timed


class Perturbed(TorchBackend):
    """torch, with every recurrent output off by 5 %: a kernel that went wrong."""

    def lstm(self, call):
        result = super().lstm(call)
        return type(result)(result.output * 1.05, result.hidden, result.steps)


class Refusing(TorchBackend):
    def lstm(self, call):
        raise RnnlabError("backend 'refusing' takes dense input only")


@pytest.fixture
def extra_backends():
    REGISTRY.register("perturbed", Perturbed())
    REGISTRY.register("refusing", Refusing())
    yield
    REGISTRY.unregister("perturbed")
    REGISTRY.unregister("refusing")


@pytest.mark.parametrize("candidate_ms,chosen", [(1.0, "triton"), (1.5, "triton"), (1.51, "torch"), (4.0, "torch")])
def test_triton_unless_more_than_one_and_a_half_times_slower(candidate_ms, chosen):
    choice = decide(candidate_ms, 1.0)
    assert choice.backend == chosen and choice.ratio == pytest.approx(candidate_ms)
    if chosen == "torch":
        assert "more than 1.5x slower, so training uses torch" in choice.reason
    assert choice.record() == {"backend_reason": choice.reason, "triton_step_ms": candidate_ms,
                               "torch_step_ms": 1.0, "triton_torch_ratio": pytest.approx(candidate_ms)}


@pytest.mark.parametrize("times,chosen", [({"loop": 1.2, "torch": 1.0}, "loop"), ({"loop": 2.0, "torch": 1.0}, "torch")])
def test_the_choice_checks_times_and_leaves_the_job_as_it_was(times, chosen):
    objective = Objective()
    weights = {name: value.clone() for name, value in objective.model.state_dict().items()}
    rng = torch.get_rng_state()
    choice = choose_backend(objective, torch.device("cpu"), timer_by_backend(objective, times), candidate="loop")
    assert choice.backend == chosen and objective.model.rnn.backend == chosen
    assert (choice.candidate_ms, choice.reference_ms) == (times["loop"], times["torch"])
    assert torch.equal(torch.get_rng_state(), rng), "the check must not move the training's random numbers"
    assert all(torch.equal(value, weights[name]) for name, value in objective.model.state_dict().items())
    assert all(param.grad is None for param in objective.model.parameters())
    assert objective.model.training and objective.model.drop.p == 0.3 and objective.model.rnn.dropout == 0.4


def test_a_mismatch_at_the_jobs_shapes_stops_the_job_with_what_differs(extra_backends):
    objective = Objective()
    with pytest.raises(BackendMismatchError, match=r"the perturbed kernels and torch differ on this job's first "
                       r"batch beyond the float32 tolerance .*rnn\[0\]\.0: relative error .*Set backend: torch"):
        choose_backend(objective, torch.device("cpu"), timer_by_backend(objective, {}), candidate="perturbed")


def test_a_candidate_that_cannot_run_the_job_leaves_it_on_torch_with_the_reason(extra_backends):
    objective = Objective()
    choice = choose_backend(objective, torch.device("cpu"), timer_by_backend(objective, {}), candidate="refusing")
    assert choice.backend == "torch" and objective.model.rnn.backend == "torch"
    assert choice.reason == "refusing cannot run this job: backend 'refusing' takes dense input only"
    assert choice.ratio is None


def test_tolerance_follows_the_dtype_and_tf32_on_the_gpu(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    assert backend_choice.tolerance(torch.float32, cuda) == ("float32", 1e-4)
    assert backend_choice.tolerance(torch.bfloat16, cuda) == ("bfloat16", 6e-2)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    assert backend_choice.tolerance(torch.float32, cuda) == ("tf32", 1e-2)
    assert backend_choice.tolerance(torch.float32, cpu) == ("float32", 1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (scripts/gpu-check.sh runs it)")
def test_on_a_gpu_triton_agrees_with_cudnn_and_both_are_timed():
    objective = Objective()
    objective.model.cuda()
    objective.inputs, objective.targets = objective.inputs.cuda(), objective.targets.cuda()
    choice = choose_backend(objective, torch.device("cuda"))
    assert choice.backend in ("triton", "torch") and objective.model.rnn.backend == choice.backend
    assert choice.candidate_ms > 0 and choice.reference_ms > 0, choice.reason
