"""``backend: auto``: before a training job's first step, check the triton kernels against torch (cuDNN)
at the job's own shapes and time both; train with triton unless it is more than MAX_SLOWDOWN times slower.

The check runs the job's first batch through the whole model on each backend in training mode with
every dropout probability set to 0 (cuDNN differentiates its RNN in training mode only, and draws its
dropout masks from its own generator), so both compute the same function, and compares the loss,
every recurrent layer's outputs and final states, and the gradient of every parameter. A difference beyond the dtype's tolerance stops
the job with :class:`BackendMismatchError`. Then a few training steps (forward and backward, no
optimiser step) are timed on each backend. Weights, the random number generators and the objective's
carried state are as before afterwards, so the job trains exactly as it would with the chosen backend
named in the config. Where triton cannot run the job at all (not installed, too old, an input it does
not take, a grid the GPU cannot hold), the job trains with torch and the reason is logged.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import torch
from torch import Tensor, nn

from ..errors import RnnlabError
from ..nn.recurrent import BackendModule
from ..train import Objective

AUTO = "auto"
CANDIDATE = "triton"
REFERENCE = "torch"
# Train with the candidate unless its step takes more than this many times the reference's.
MAX_SLOWDOWN = 1.5
WARMUP_STEPS = 1
TIMED_STEPS = 3
# Largest relative difference max |a − b| / max |b| per tensor. float32 with exact products on both
# sides; float32 where torch lets cuDNN or matmuls use TF32 (its 10-bit mantissa; cuDNN's default);
# bfloat16 weights (8-bit mantissa), as the GPU tests' gradient bound (tests/nn/test_triton_gpu.py).
TOLERANCES = {"float32": 1e-4, "tf32": 1e-2, "bfloat16": 6e-2}

StepTimer = Callable[[Callable[[], None]], float]


class BackendMismatchError(RnnlabError):
    """The triton kernels and torch disagree at the job's shapes beyond the dtype's tolerance."""


@dataclass(frozen=True)
class BackendChoice:
    """The backend a job trains with, why, and the step times (ms) behind the choice."""

    backend: str
    reason: str
    candidate_ms: float | None = None
    reference_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.candidate_ms is None or self.reference_ms is None:
            return None
        return self.candidate_ms / self.reference_ms

    def record(self) -> dict[str, Any]:
        """What status.json (and through it results/timings.csv and the report) keeps of the choice."""
        return {"backend_reason": self.reason, "triton_step_ms": self.candidate_ms,
                "torch_step_ms": self.reference_ms, "triton_torch_ratio": self.ratio}


def decide(candidate_ms: float, reference_ms: float, candidate: str = CANDIDATE, reference: str = REFERENCE,
           max_slowdown: float = MAX_SLOWDOWN) -> BackendChoice:
    """The candidate unless its step is more than ``max_slowdown`` times the reference's."""
    ratio = candidate_ms / reference_ms
    timing = f"{candidate} {candidate_ms:.3f} ms, {reference} {reference_ms:.3f} ms a step: {ratio:.2f}x"
    if ratio > max_slowdown:
        return BackendChoice(reference, f"{timing}, more than {max_slowdown:g}x slower, so training uses "
                             f"{reference}", candidate_ms, reference_ms)
    return BackendChoice(candidate, f"{timing}, within {max_slowdown:g}x", candidate_ms, reference_ms)


def tolerance(dtype: torch.dtype, device: torch.device) -> tuple[str, float]:
    """(the name of the precision the comparison runs at, its tolerance) for weights of ``dtype``."""
    if dtype == torch.bfloat16:
        return "bfloat16", TOLERANCES["bfloat16"]
    if device.type == "cuda" and (torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32):
        return "tf32", TOLERANCES["tf32"]
    return "float32", TOLERANCES["float32"]


def relative_error(actual: Tensor, expected: Tensor) -> float:
    """max |actual − expected| / max |expected| (infinite for different shapes)."""
    if actual.shape != expected.shape:
        return float("inf")
    if expected.numel() == 0:
        return 0.0
    actual, expected = actual.float(), expected.float()
    scale = expected.abs().max().item()
    return (actual - expected).abs().max().item() / (scale if scale > 0 else 1.0)


def mismatches(actual: dict[str, Tensor], expected: dict[str, Tensor], limit: float) -> list[str]:
    """One line per tensor whose relative error exceeds ``limit``, missing, or not finite."""
    found = [f"{key}: missing from the {CANDIDATE} run" for key in expected if key not in actual]
    for key in (key for key in expected if key in actual):
        if not torch.isfinite(actual[key]).all():
            found.append(f"{key}: non-finite values")
            continue
        error = relative_error(actual[key], expected[key])
        if error > limit:
            found.append(f"{key}: relative error {error:.2e} > {limit:.0e}")
    return found


def recurrent_modules(model: nn.Module) -> list[tuple[str, BackendModule]]:
    return [(name, module) for name, module in model.named_modules() if isinstance(module, BackendModule)]


def use_backend(model: nn.Module, name: str) -> None:
    """Run every recurrent layer of ``model`` on backend ``name``."""
    for _, module in recurrent_modules(model):
        module.backend = name


def tensors_of(value: Any) -> Iterable[Tensor]:
    """The tensors in a module's result, depth first (output, then (h_n, c_n), ...)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from tensors_of(item)
    elif hasattr(value, "data") and isinstance(value.data, Tensor):  # PackedSequence
        yield value.data


@contextlib.contextmanager
def without_dropout(model: nn.Module) -> Iterator[None]:
    """Every dropout probability of ``model`` (nn.Dropout and between recurrent layers) 0 for a while."""
    layers = [(module, "p") for module in model.modules() if isinstance(module, nn.Dropout)]
    layers += [(module, "dropout") for _, module in recurrent_modules(model)]
    saved = [getattr(module, name) for module, name in layers]
    for module, name in layers:
        setattr(module, name, 0.0)
    try:
        yield
    finally:
        for (module, name), value in zip(layers, saved):
            setattr(module, name, value)


def first_batch(objective: Objective, backend: str) -> dict[str, Tensor]:
    """Loss, recurrent outputs and final states, and parameter gradients of batch 0 on ``backend``."""
    model = objective.model
    use_backend(model, backend)
    captured: dict[str, Tensor] = {}
    calls: dict[str, int] = {}

    def capture(name: str) -> Callable[..., None]:
        def save(module: nn.Module, args: Any, result: Any) -> None:
            call = calls[name] = calls.get(name, -1) + 1  # a layer may run more than once a batch
            for index, tensor in enumerate(tensors_of(result)):
                captured[f"{name}[{call}].{index}"] = tensor.detach().clone()
        return save

    handles = [module.register_forward_hook(capture(name)) for name, module in recurrent_modules(model)]
    try:
        model.zero_grad(set_to_none=True)
        objective.start_epoch(0)
        loss, _, _ = objective.batch_loss(0)
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    values = {"loss": loss.detach(), **captured}
    values.update({f"grad[{name}]": param.grad.detach().clone() for name, param in model.named_parameters()
                   if param.grad is not None})
    model.zero_grad(set_to_none=True)
    return values


def training_step(objective: Objective, index: int) -> Callable[[], None]:
    def step() -> None:
        loss, _, _ = objective.batch_loss(index % objective.num_batches())
        loss.backward()
    return step


def device_timer(device: torch.device) -> StepTimer:
    """Milliseconds one call takes, the GPU's queue drained before and after."""
    def timed(fn: Callable[[], None]) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return 1e3 * (time.perf_counter() - start)
    return timed


def step_ms(objective: Objective, backend: str, timer: StepTimer) -> float:
    """Median time of TIMED_STEPS training steps (forward and backward) on ``backend`` after warm-up."""
    use_backend(objective.model, backend)
    objective.start_epoch(0)
    for index in range(WARMUP_STEPS):
        training_step(objective, index)()
    times = [timer(training_step(objective, WARMUP_STEPS + index)) for index in range(TIMED_STEPS)]
    objective.model.zero_grad(set_to_none=True)
    return statistics.median(times)


def cannot_run() -> tuple[type[BaseException], ...]:
    """Errors that mean the candidate cannot run this job here (rather than a bug): rnnlab's own
    refusals (not installed, too old, unsupported input, barrier time-out) and Triton's refusal of a
    kernel that needs more shared memory or registers than this GPU has."""
    errors: tuple[type[BaseException], ...] = (RnnlabError,)
    try:
        from triton.runtime.errors import OutOfResources
    except ImportError:
        return errors
    return errors + (OutOfResources,)


def choose_backend(objective: Objective, device: torch.device, timer: StepTimer | None = None,
                   candidate: str = CANDIDATE, reference: str = REFERENCE) -> BackendChoice:
    """Check ``candidate`` against ``reference`` on the job's first batch, time both, and leave the
    model's recurrent layers on the chosen backend (see the module docstring)."""
    model = objective.model
    modules = recurrent_modules(model)
    if not modules:
        return BackendChoice(reference, "the model has no recurrent layers")
    dtype = next(modules[0][1].parameters()).dtype
    precision, limit = tolerance(dtype, device)
    was_training = model.training
    devices = [torch.cuda.current_device() if device.index is None else device.index] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices):
            model.train()
            with without_dropout(model):
                expected = first_batch(objective, reference)
                try:
                    actual = first_batch(objective, candidate)
                except cannot_run() as error:
                    use_backend(model, reference)
                    return BackendChoice(reference, f"{candidate} cannot run this job: {error}")
            found = mismatches(actual, expected, limit)
            if found:
                raise BackendMismatchError(
                    f"backend 'auto': the {candidate} kernels and {reference} differ on this job's first batch "
                    f"beyond the {precision} tolerance ({len(found)} of {len(expected)} tensors): "
                    + "; ".join(found[:5]) + f". Set backend: {reference} to train with it, and report this "
                    "difference")
            timer = timer or device_timer(device)
            choice = decide(step_ms(objective, candidate, timer), step_ms(objective, reference, timer),
                            candidate, reference)
    finally:
        model.train(was_training)
        model.zero_grad(set_to_none=True)
        objective.start_epoch(0)
    use_backend(model, choice.backend)
    return choice


def log_choice(choice: BackendChoice) -> None:
    print(f"backend 'auto' trains with {choice.backend}: {choice.reason}", file=sys.stderr)
