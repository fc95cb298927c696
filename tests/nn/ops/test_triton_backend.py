"""Registration of the triton backend and its errors, in this process (no kernel runs here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest
import torch
from torch.nn.utils.rnn import pack_sequence

import rnnlab.nn as rnn_nn
from rnnlab.errors import RnnlabError
from rnnlab.nn.backends.triton import TritonBackendError

needs_triton = pytest.mark.skipif(
    importlib.util.find_spec("triton") is None, reason="triton is not installed (pip install triton)"
)


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_importing_rnnlab_nn_does_not_import_triton():
    run = run_python(
        """
        import sys
        import rnnlab.nn
        assert "triton" in rnnlab.nn.available_backends()
        assert "triton" not in sys.modules, "rnnlab.nn imported triton"
        """
    )
    assert run.returncode == 0, run.stderr


def test_without_triton_the_backend_is_listed_not_default_and_explains_the_install():
    run = run_python(
        """
        import sys
        sys.modules["triton"] = None  # as if triton were not installed
        import torch
        import rnnlab.nn
        from rnnlab.nn.backends.triton import TritonBackendError
        assert rnnlab.nn.default_backend("cuda") == "torch"
        try:
            rnnlab.nn.LSTM(3, 4, backend="triton")(torch.randn(2, 1, 3))
        except TritonBackendError as error:
            print(error)
        else:
            raise AssertionError("no error")
        """
    )
    assert run.returncode == 0, run.stderr
    assert "needs the triton package" in run.stdout and "pip install triton" in run.stdout
    assert "backend='torch'" in run.stdout


@needs_triton
def test_with_triton_it_is_the_cuda_default_and_cpu_keeps_its_own():
    assert rnn_nn.default_backend("cuda") == "triton"
    assert rnn_nn.default_backend("cpu") == "cpu"
    assert rnn_nn.available_backends()[:3] == ("loop", "torch", "triton")


@needs_triton
@pytest.mark.parametrize("cls", [rnn_nn.RNN, rnn_nn.LSTM])
def test_cpu_tensors_without_the_interpreter_give_one_clear_error(cls, monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    module = cls(3, 4, backend="triton")
    message = r"needs CUDA tensors \(got cpu tensors\), or TRITON_INTERPRET=1"
    with pytest.raises(TritonBackendError, match=message):
        module(torch.randn(2, 1, 3))


@needs_triton
def test_packed_input_points_to_the_backends_that_take_it(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    module = rnn_nn.LSTM(3, 4, backend="triton")
    packed = pack_sequence([torch.randn(3, 3), torch.randn(2, 3)])
    message = "not a PackedSequence; choose backend='torch' or backend='loop'"
    with pytest.raises(TritonBackendError, match=message):
        module(packed)


def test_the_error_is_a_user_facing_rnnlab_error():
    assert issubclass(TritonBackendError, RnnlabError)


def test_per_step_states_are_refused_with_the_backends_that_have_them():
    module = rnn_nn.RNN(3, 4, backend="triton")
    with pytest.raises(ValueError, match="cannot return per-step states; use one of: loop"):
        module(torch.randn(2, 1, 3), return_steps=True)
