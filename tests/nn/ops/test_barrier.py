"""The barrier's host side: the time-out setting, the error a set status flag becomes, the flags."""

from __future__ import annotations

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install triton)")

import torch  # noqa: E402

from rnnlab.errors import RnnlabError  # noqa: E402
from rnnlab.nn.backends import triton as backend  # noqa: E402
from rnnlab.nn.backends.triton import require_triton_features  # noqa: E402
from rnnlab.nn.ops.barrier import (  # noqa: E402
    DEFAULT_TIMEOUT_S, TIMEOUT_ENV, BarrierTimeoutError, new_flags, raise_on_timeout, timeout_ns,
)


@pytest.fixture(autouse=True)
def fresh_triton_checks():
    """The checks are cached per process; each test sees the triton it patches, and leaves none behind."""
    backend.triton_available.cache_clear()
    backend.missing_triton_features.cache_clear()
    yield
    backend.triton_available.cache_clear()
    backend.missing_triton_features.cache_clear()


def test_time_out_is_read_in_seconds_and_defaults(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert timeout_ns() == int(DEFAULT_TIMEOUT_S * 1e9)
    monkeypatch.setenv(TIMEOUT_ENV, "0.25")
    assert timeout_ns() == 250_000_000


@pytest.mark.parametrize("text", ["0", "-1", "soon", "inf", "nan"])
def test_a_bad_time_out_is_refused_by_name(monkeypatch, text):
    monkeypatch.setenv(TIMEOUT_ENV, text)
    with pytest.raises(ValueError, match=f"{TIMEOUT_ENV} must be a positive number of seconds"):
        timeout_ns()


def test_flags_start_at_zero_one_counter_per_step():
    counters, status = new_flags(5, torch.device("cpu"))
    assert counters.dtype == torch.int32 and counters.tolist() == [0] * 5 and status.tolist() == [0]


def test_a_set_status_flag_becomes_one_clear_error(monkeypatch):
    monkeypatch.setenv(TIMEOUT_ENV, "2")
    raise_on_timeout(torch.zeros(1, dtype=torch.int32), "LSTM forward", 8)
    with pytest.raises(BarrierTimeoutError, match=r"LSTM forward kernel \(8 programs\) timed out after 2 s.*"
                       r"set the backend to torch"):
        raise_on_timeout(torch.ones(1, dtype=torch.int32), "LSTM forward", 8)
    assert issubclass(BarrierTimeoutError, RnnlabError)


def test_the_installed_triton_has_what_the_kernels_use():
    require_triton_features()


def test_a_triton_without_cooperative_launches_is_refused_naming_the_version(monkeypatch):
    from triton.backends.nvidia.compiler import CUDAOptions

    fields = {name: field for name, field in CUDAOptions.__dataclass_fields__.items()
              if name != "launch_cooperative_grid"}
    monkeypatch.setattr(CUDAOptions, "__dataclass_fields__", fields)
    with pytest.raises(RnnlabError, match=r"need launch_cooperative_grid, which triton .* lacks; install "
                       r"triton >= 3\.9.*set the backend to torch"):
        require_triton_features()


def test_a_triton_without_the_timed_poll_is_refused(monkeypatch):
    import triton.language as tl

    monkeypatch.delattr(tl, "atomic_poll")
    with pytest.raises(RnnlabError, match=r"need tl\.atomic_poll with timeout_ns, which triton"):
        require_triton_features()


def test_the_backend_checks_the_triton_release_without_importing_it(monkeypatch):
    assert backend.release("3.10.0+git1a2b") == (3, 10) and backend.release("4") == (4, 0)
    monkeypatch.setattr(backend.importlib.metadata, "version", lambda name: "3.2.0")
    assert not backend.triton_available()
    backend.triton_available.cache_clear()
    monkeypatch.setattr(backend.importlib.metadata, "version", lambda name: "3.9.0")
    assert backend.triton_available()
