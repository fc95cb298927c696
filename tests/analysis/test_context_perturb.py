from collections import Counter

import numpy as np
import pytest

from rnnlab.analysis.context_perturb import PERTURBATIONS, perturbed, replace, sample_targets, shuffle, truncate
from rnnlab.errors import ConfigError

CONTEXT = np.arange(3, 43)  # (40,)
UNIGRAM = np.array([0.0, 0.1, 0.2, 0.3, 0.0, 0.4])  # id 0 (<pad>) and 4 never occur in training


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("d", [40, 41, 500])
def test_truncating_at_or_beyond_the_context_length_keeps_the_full_context(d):
    assert np.array_equal(truncate(CONTEXT, d, rng(), UNIGRAM), CONTEXT)


def test_truncate_keeps_exactly_the_last_d_tokens():
    assert truncate(CONTEXT, 5, rng(), UNIGRAM).tolist() == [38, 39, 40, 41, 42]
    assert truncate(CONTEXT, 0, rng(), UNIGRAM).size == 0


def test_shuffle_at_zero_keeps_the_multiset_and_changes_the_order():
    out = shuffle(CONTEXT, 0, rng(), UNIGRAM)
    assert Counter(out.tolist()) == Counter(CONTEXT.tolist())
    assert not np.array_equal(out, CONTEXT)


def test_shuffle_leaves_the_last_d_tokens_and_permutes_the_rest():
    out = shuffle(CONTEXT, 10, rng(), UNIGRAM)
    assert np.array_equal(out[-10:], CONTEXT[-10:])
    assert sorted(out[:-10].tolist()) == CONTEXT[:-10].tolist() and not np.array_equal(out[:-10], CONTEXT[:-10])


def test_replace_draws_only_training_tokens_and_a_fixed_seed_fixes_the_draws():
    out = replace(CONTEXT, 4, rng(7), UNIGRAM)
    assert np.array_equal(out[-4:], CONTEXT[-4:])
    assert set(out[:-4].tolist()) <= {1, 2, 3, 5}  # in the vocabulary and seen in training: never <pad> nor id 4
    assert np.array_equal(out, replace(CONTEXT, 4, rng(7), UNIGRAM))
    assert not np.array_equal(out, replace(CONTEXT, 4, rng(8), UNIGRAM))


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_perturbed_contexts_start_with_the_start_token_and_depend_only_on_seed_and_target(name):
    stream = np.arange(3, 203) % 6
    a = perturbed(stream, 150, 50, name, 10, 3, UNIGRAM, start_id=2)
    assert a[0] == 2 and a.dtype == np.int64
    assert np.array_equal(a[-10:], stream[140:150])
    assert np.array_equal(a, perturbed(stream, 150, 50, name, 10, 3, UNIGRAM, start_id=2))


def test_targets_are_a_seeded_sample_with_enough_context():
    a = sample_targets(1000, 300, 50, seed=1, where="x")
    assert a.size == 50 and a.min() >= 300 and a.max() < 1000 and np.all(np.diff(a) > 0)
    assert np.array_equal(a, sample_targets(1000, 300, 50, seed=1, where="x"))
    assert not np.array_equal(a, sample_targets(1000, 300, 50, seed=2, where="x"))
    with pytest.raises(ConfigError, match="the test split has 10 positions .* lower 'targets'"):
        sample_targets(310, 300, 11, seed=1, where="the test split")
