"""The barrier's host side: the time-out setting, the error a set status flag becomes, the flags."""

from __future__ import annotations

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install triton)")

import torch  # noqa: E402

from rnnlab.errors import RnnlabError  # noqa: E402
from rnnlab.nn.ops.barrier import (  # noqa: E402
    DEFAULT_TIMEOUT_S, TIMEOUT_ENV, BarrierTimeoutError, check_cooperative_launch, new_flags, raise_on_timeout,
    timeout_ns,
)


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


def test_the_installed_triton_launches_cooperatively():
    check_cooperative_launch()


def test_a_triton_without_cooperative_launches_is_refused(monkeypatch):
    from triton.backends.nvidia.compiler import CUDAOptions

    fields = {name: field for name, field in CUDAOptions.__dataclass_fields__.items()
              if name != "launch_cooperative_grid"}
    monkeypatch.setattr(CUDAOptions, "__dataclass_fields__", fields)
    with pytest.raises(RnnlabError, match="need a cooperative grid launch.*set the backend to torch"):
        check_cooperative_launch()
