"""The ``triton`` backend: fused Triton kernels for the sequential part of each layer and direction.

Per layer and direction, the input projection of all steps is one matmul and a single kernel launch
runs the T recurrent steps (``ops/rnn``, ``ops/lstm``; design in ``ops/README.md``). Triton is
imported on first use, so registering this backend costs nothing where Triton is missing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import re

import torch

from ...errors import RnnlabError
from ..dispatch import RecurrentCall, RecurrentResult, interpreter_requested
from .stack import DenseLayer, stack_dense

# Cell name -> (module, function) of its single-layer entry.
LAYERS = {"rnn": ("rnnlab.nn.ops.rnn", "rnn_tanh_triton"), "lstm": ("rnnlab.nn.ops.lstm", "lstm_triton")}
DTYPES = (torch.float32, torch.bfloat16)
# The first Triton release the kernels were built and checked with; it has what they use: the acquire
# poll with a time-out (``tl.atomic_poll(..., timeout_ns=...)``) and cooperative launches
# (``launch_cooperative_grid``), checked by :func:`missing_triton_features`.
MIN_TRITON = "3.9"
INSTALL_HINT = (
    "install triton with `pip install triton` (the CUDA build of torch brings it), or choose "
    "backend='torch' or backend='loop'"
)


class TritonBackendError(RnnlabError):
    """The triton backend cannot run this call; the message says what to change."""


@functools.cache
def triton_available() -> bool:
    """Whether the triton package can be imported (without importing it), in a release the kernels
    support (:data:`MIN_TRITON`; a build without version metadata is checked at first use). Checked
    once a process: every recurrent call asks, and the installed package does not change."""
    if importlib.util.find_spec("triton") is None:
        return False
    try:
        installed = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:
        return True
    return release(installed) >= release(MIN_TRITON)


def release(version: str) -> tuple[int, ...]:
    """(major, minor) of a version string such as ``3.9.0`` or ``3.10.0+git1a2b``."""
    parts = [int(match) for match in re.findall(r"\d+", version)[:2]]
    return tuple(parts + [0] * (2 - len(parts)))


def check_call(call: RecurrentCall) -> None:
    """Raise one TritonBackendError naming the problem if the kernels cannot run ``call``."""
    if not triton_available():
        raise TritonBackendError(
            f"backend 'triton' needs the triton package, which is not installed; {INSTALL_HINT}"
        )
    kind = call.x.device.type
    if kind != "cuda" and not (kind == "cpu" and interpreter_requested()):
        raise TritonBackendError(
            f"backend 'triton' needs CUDA tensors (got {kind} tensors), or TRITON_INTERPRET=1 in the "
            "environment before triton is first imported to run on the CPU interpreter (slow, for "
            "tests); otherwise choose backend='torch' or backend='loop'"
        )
    if call.batch_sizes is not None:
        raise TritonBackendError(
            "backend 'triton' takes dense (T, B, I) input, not a PackedSequence; choose "
            "backend='torch' or backend='loop' for packed sequences"
        )
    if call.x.dtype not in DTYPES:
        names = ", ".join(str(dtype).removeprefix("torch.") for dtype in DTYPES)
        raise TritonBackendError(f"backend 'triton' runs {names}, not {call.x.dtype}; convert the module")
    if kind == "cpu" and call.x.dtype != torch.float32:
        raise TritonBackendError(
            f"the Triton CPU interpreter runs float32 only, not {call.x.dtype}; use float32 on the CPU"
        )


@functools.cache
def missing_triton_features() -> tuple[str, ...]:
    """What the persistent kernels use that the installed triton lacks (empty when it has all); checked
    once a process."""
    import inspect

    import triton.language as tl
    from triton.backends.nvidia.compiler import CUDAOptions

    missing = []
    poll = getattr(tl, "atomic_poll", None)
    if poll is None or "timeout_ns" not in inspect.signature(poll).parameters:
        missing.append("tl.atomic_poll with timeout_ns")
    if "launch_cooperative_grid" not in CUDAOptions.__dataclass_fields__:
        missing.append("launch_cooperative_grid")
    return tuple(missing)


def require_triton_features() -> None:
    """Refuse clearly when the installed triton lacks what the persistent kernels use."""
    missing = missing_triton_features()
    if missing:
        import triton

        raise TritonBackendError(
            f"the persistent Triton kernels need {' and '.join(missing)}, which triton {triton.__version__} "
            f"lacks; install triton >= {MIN_TRITON} (upgrade torch and triton together), or set the backend to torch"
        )


def load_layer(cell: str, device_kind: str) -> DenseLayer:
    """The single-layer entry of ``cell``, importing triton now; error if its kernels cannot run here."""
    require_triton_features()
    module, name = LAYERS[cell]
    layer: DenseLayer = getattr(importlib.import_module(module), name)
    from ..ops.common import is_interpreted

    if device_kind == "cpu" and not is_interpreted():
        raise TritonBackendError(
            "the Triton kernels were imported before TRITON_INTERPRET=1 was set, so they cannot run on "
            "the CPU; set TRITON_INTERPRET=1 in the environment before triton is first imported"
        )
    return layer


def run_layers(call: RecurrentCall, cell: str) -> RecurrentResult:
    """Stack the layers and directions of ``call`` around the single-layer kernels of ``cell``.

    Bidirectional outputs concatenate [forward, reverse] per step; the reverse direction reads the
    sequence backwards inside the kernel. In training, dropout is applied to each layer's output
    except the last, as torch does.
    """
    check_call(call)
    return stack_dense(call, load_layer(cell, call.x.device.type))


class TritonBackend:
    """One persistent kernel launch per layer and direction (CUDA, or the CPU interpreter)."""

    supports_steps = False

    def rnn(self, call: RecurrentCall) -> RecurrentResult:
        return run_layers(call, "rnn")

    def lstm(self, call: RecurrentCall) -> RecurrentResult:
        return run_layers(call, "lstm")
