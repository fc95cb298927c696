import pytest
import torch

from rnnlab import nn as rnn_nn
from rnnlab.errors import ConfigError
from rnnlab.models.cells import CELLS, FORGET_BIAS, set_forget_bias
from rnnlab.models.neural import SPECS, parse_params

H = 5


def forget_slices(module: torch.nn.Module) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(layer suffix, b_if, b_hf) of every LSTM layer and direction inside ``module``."""
    out = []
    for lstm in (m for m in module.modules() if isinstance(m, torch.nn.LSTM)):
        h = lstm.hidden_size
        for name, bias in lstm.named_parameters():
            if name.startswith("bias_ih"):
                other = getattr(lstm, name.replace("bias_ih", "bias_hh"))
                out.append((name, bias[h:2 * h].detach(), other[h:2 * h].detach()))
    return out


def test_set_forget_bias_touches_only_the_forget_slice():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, H, num_layers=2, bidirectional=True)
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    set_forget_bias(lstm, 1.5)
    for name, p in lstm.named_parameters():
        if name.startswith("bias_ih"):
            assert torch.equal(p[H:2 * H], torch.full((H,), 1.5))
        elif name.startswith("bias_hh"):
            assert torch.equal(p[H:2 * H], torch.zeros(H))
        else:
            assert torch.equal(p, before[name])
            continue
        keep = torch.ones(4 * H, dtype=torch.bool)
        keep[H:2 * H] = False
        assert torch.equal(p[keep], before[name][keep])
    assert len(forget_slices(lstm)) == 4  # 2 layers x 2 directions


def test_drop_in_lstm_keeps_torch_initialisation():
    torch.manual_seed(3)
    ours = rnn_nn.LSTM(4, H, num_layers=2)
    torch.manual_seed(3)
    theirs = torch.nn.LSTM(4, H, num_layers=2)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert torch.equal(a, b), name


def test_rnn_cell_refuses_a_forget_bias():
    with pytest.raises(ConfigError, match="forget_bias.*LSTM models only"):
        CELLS["rnn"].make(3, H, 1, 0.0, "torch", forget_bias=1.0)


@pytest.mark.parametrize("family,task", [("lstm", "lm"), ("lstm", "classification"), ("bilstm", "classification"),
                                         ("lstm", "tagging"), ("bilstm", "tagging"), ("lstm", "ner"),
                                         ("bilstm-crf", "ner")])
@pytest.mark.parametrize("params,expected", [({}, FORGET_BIAS), ({"forget_bias": 0}, 0.0),
                                             ({"forget_bias": 2.5}, 2.5)])
def test_every_lstm_model_starts_with_its_forget_bias(family, task, params, expected):
    cfg, _ = parse_params(family, task, {"emb": 4, "hidden": H, "layers": 2, **params})
    assert cfg.forget_bias == expected
    torch.manual_seed(0)
    model = SPECS[(family, task)].build(cfg, 11, ("O", "B-PER", "I-PER"), "torch")
    slices = forget_slices(model)
    assert len(slices) == 2 * (2 if family.startswith("bilstm") else 1)
    for name, b_if, b_hf in slices:
        assert torch.equal(b_if, torch.full((H,), expected)), name
        assert torch.equal(b_hf, torch.zeros(H)), name


@pytest.mark.parametrize("task", ["lm", "classification", "tagging"])
def test_rnn_models_have_no_forget_bias(task):
    with pytest.raises(ConfigError, match="unknown parameter 'forget_bias'"):
        parse_params("rnn", task, {"forget_bias": 1.0})
