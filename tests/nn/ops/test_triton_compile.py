"""The kernels compile for an H100 (sm_90) without spilling registers; no GPU needed.

Triton compiles ahead of time for a named target, and the cuobjdump it ships reads the register,
local-memory (spill) and shared-memory use of the result. Arguments are specialised as a launch
would specialise them: pointers and H divisible by 16.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch

if importlib.util.find_spec("triton") is None:
    pytest.skip("triton is not installed (pip install triton)", allow_module_level=True)
if os.environ.get("TRITON_INTERPRET") == "1":
    pytest.skip("TRITON_INTERPRET=1 builds interpreter kernels, which do not compile",
                allow_module_level=True)

import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from rnnlab.nn.ops.lstm.triton_kernels import lstm_backward_kernel, lstm_forward_kernel  # noqa: E402
from rnnlab.nn.ops.common import Tiles, choose_tiles  # noqa: E402
from rnnlab.nn.ops.rnn.triton_kernels import rnn_backward_kernel, rnn_forward_kernel  # noqa: E402

CUOBJDUMP = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
SHARED_LIMIT = 227 * 1024  # bytes of shared memory one H100 block may use
if "constexprs" not in inspect.signature(ASTSource).parameters or not CUOBJDUMP.exists():
    pytest.skip(f"triton {triton.__version__} lacks this compile API or its cuobjdump",
                allow_module_level=True)

SCALARS = {"T": "i32", "B": "i32", "H": "i32"}
# kernel -> (pointer arguments, with "W" standing for the weight dtype; extra constexprs)
KERNELS = {
    "rnn_forward": (rnn_forward_kernel, {"xw_ptr": "W", "w_ptr": "W", "h_ptr": "fp32"}, {}),
    "rnn_backward": (
        rnn_backward_kernel,
        {"dout_ptr": "fp32", "dhn_ptr": "fp32", "h_ptr": "fp32", "w_ptr": "W", "da_ptr": "fp32"},
        {},
    ),
    "lstm_forward": (
        lstm_forward_kernel,
        {"xw_ptr": "W", "w_ptr": "W", "h_ptr": "fp32", "c_ptr": "fp32", "gates_ptr": "fp32"},
        {"SAVE_GATES": True},
    ),
    "lstm_backward": (
        lstm_backward_kernel,
        {"dout_ptr": "fp32", "dhn_ptr": "fp32", "dc_ptr": "fp32", "c_ptr": "fp32", "gates_ptr": "fp32",
         "w_ptr": "W", "da_ptr": "fp32"},
        {},
    ),
}
# (weight dtype, its Triton name, dot precision, batch, reverse): float32 and bfloat16's largest tiles.
SETTINGS = [(torch.float32, "fp32", "ieee", 16, 0), (torch.bfloat16, "bf16", "tf32", 256, 1)]


def compile_for_h100(kernel, pointers: dict[str, str], constexprs: dict, dtype: str, tiles: Tiles):
    signature = {name: f"*{dtype if kind == 'W' else kind}" for name, kind in pointers.items()}
    signature.update(SCALARS)
    signature.update({name: "constexpr" for name in constexprs})
    divisible = [name for name in signature if signature[name].startswith("*") or name == "H"]
    attrs = {(kernel.arg_names.index(name),): [["tt.divisibility", 16]] for name in divisible}
    source = ASTSource(fn=kernel, signature=signature, constexprs=constexprs, attrs=attrs)
    return triton.compile(source, target=GPUTarget("cuda", 90, 32), options={"num_warps": tiles.num_warps})


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting[1] for setting in SETTINGS])
@pytest.mark.parametrize("name", list(KERNELS))
def test_kernel_compiles_for_sm90_without_spills(name, setting, tmp_path):
    dtype, triton_dtype, precision, batch, reverse = setting
    kernel, pointers, extra = KERNELS[name]
    tiles = choose_tiles(batch, 1024, dtype)
    constexprs = {"REVERSE": reverse, "PRECISION": precision, "BLOCK_B": tiles.block_b,
                  "BLOCK_N": tiles.block_n, "BLOCK_K": tiles.block_k, **extra}
    compiled = compile_for_h100(kernel, pointers, constexprs, triton_dtype, tiles)
    cubin = tmp_path / "kernel.cubin"
    cubin.write_bytes(compiled.asm["cubin"])
    command = [str(CUOBJDUMP), "-res-usage", str(cubin)]
    usage = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"REG:(\d+) STACK:(\d+)", usage.stdout)
    assert found, usage.stdout
    registers, stack = int(found.group(1)), int(found.group(2))
    assert stack == 0, f"{name} {tiles}: {registers} registers and {stack} bytes of spills per thread"
    shared = compiled.metadata.shared
    assert shared <= SHARED_LIMIT, f"{name} {tiles}: {shared} bytes of shared memory"
