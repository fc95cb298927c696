"""The backend registry: registration, lookup errors and per-device defaults."""

from __future__ import annotations

import pytest
import torch

from rnnlab.nn.dispatch import BackendRegistry, RecurrentCall, device_type


class Dummy:
    supports_steps = False

    def rnn(self, call):
        raise AssertionError("not called")

    def lstm(self, call):
        raise AssertionError("not called")


def test_register_lookup_and_order():
    registry = BackendRegistry()
    first, second = Dummy(), Dummy()
    registry.register("b", first)
    registry.register("a", second)
    assert registry.names() == ("b", "a")
    assert registry.get("a") is second


def test_unknown_name_lists_the_registered_ones():
    registry = BackendRegistry()
    registry.register("loop", Dummy())
    registry.register("torch", Dummy())
    message = r"unknown recurrent backend 'triton'; registered backends: loop, torch"
    with pytest.raises(ValueError, match=message):
        registry.get("triton")


def test_duplicates_need_replace():
    registry = BackendRegistry()
    registry.register("x", Dummy())
    with pytest.raises(ValueError, match="already registered; pass replace=True"):
        registry.register("x", Dummy())
    replacement = Dummy()
    registry.register("x", replacement, replace=True)
    assert registry.get("x") is replacement


def test_backend_must_have_both_methods():
    class OnlyRnn:
        supports_steps = False

        def rnn(self, call):
            return None

    with pytest.raises(ValueError, match="lacks the method"):
        BackendRegistry().register("half", OnlyRnn())
    with pytest.raises(ValueError, match="non-empty string"):
        BackendRegistry().register("", Dummy())


def test_defaults_by_device_type_fall_back_to_any():
    registry = BackendRegistry()
    with pytest.raises(ValueError, match="no default"):
        registry.default("cpu")
    registry.register("general", Dummy(), default_for=("*",))
    registry.register("gpu", Dummy(), default_for=("cuda",))
    assert registry.default(None) == "general"
    assert registry.default(torch.device("cpu")) == "general"
    assert registry.default("cuda:1") == "gpu"
    registry.unregister("gpu")
    assert registry.default("cuda") == "general"
    assert registry.names() == ("general",)


def test_steps_support_is_listed():
    registry = BackendRegistry()
    stepper = Dummy()
    stepper.supports_steps = True
    registry.register("plain", Dummy())
    registry.register("stepper", stepper)
    assert list(registry.supporting_steps()) == ["stepper"]


def test_device_type_and_call_directions():
    assert device_type(None) == "cpu"
    assert device_type("cuda:0") == "cuda"
    call = RecurrentCall(
        x=torch.zeros(1, 1, 1), batch_sizes=None, hx=(), weights=(), has_biases=True,
        num_layers=1, bidirectional=True, dropout=0.0, training=False,
    )
    assert call.num_directions == 2
