"""The LSTM's elementwise step inside the Triton tile kernels (``ops/recurrence.py``).

Gates in torch's order i, f, g, o; every argument and result is a (BLOCK_B, UNITS) float32 tile.
"""

from __future__ import annotations

import triton
import triton.language as tl

from ..common import tanh


@triton.jit
def lstm_cell_forward(a_i, a_f, a_g, a_o, c_prev):
    """(h_t, c_t, i, f, g, o) from the four pre-activations and c_{t-1}."""
    # Hochreiter & Schmidhuber (1997), forget gate of Gers et al. (2000), torch's formulation:
    # i, f, o = σ(a^i), σ(a^f), σ(a^o); g = tanh(a^g)
    i = tl.sigmoid(a_i)
    f = tl.sigmoid(a_f)
    g = tanh(a_g)
    o = tl.sigmoid(a_o)
    # c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
    c = f * c_prev + i * g
    return o * tanh(c), c, i, f, g, o


@triton.jit
def lstm_cell_backward(dh, dc, i, f, g, o, c, c_prev):
    """(δa^i, δa^f, δa^g, δa^o, δc_{t-1}) from δh_t, the δc_t flowing back from step t + 1, the saved
    gates, c_t and c_{t-1}."""
    tanh_c = tanh(c)
    # δc_t += δh_t ⊙ o ⊙ (1 − tanh²(c_t))
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    # δa^i = δc_t ⊙ g ⊙ i(1 − i);  δa^f = δc_t ⊙ c_{t-1} ⊙ f(1 − f)
    # δa^g = δc_t ⊙ i ⊙ (1 − g²);   δa^o = δh_t ⊙ tanh(c_t) ⊙ o(1 − o);  δc_{t-1} = δc_t ⊙ f
    return dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g), \
        dh * tanh_c * o * (1.0 - o), dc * f
