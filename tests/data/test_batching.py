import json
import random
from pathlib import Path

import pytest
import torch

from rnnlab.data.batching import (
    POOL_BATCHES,
    batchify,
    encode_classification_split,
    encode_lm_split,
    epoch_permutation,
    eval_columns,
    get_bptt_batch,
    length_grouped_batches,
    num_bptt_batches,
    pad_batch,
    window_contexts,
)
from rnnlab.data.vocab import Vocab
from rnnlab.errors import CorpusError

ITOS = ["<pad>", "<unk>", "<eos>", "the", "cat", "sat", "dog"]


def write_corpus(root: Path, lm_text: str = "", tsv: str = "", labels: tuple[str, ...] = ("neg", "pos")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ITOS}))
    if lm_text:
        (root / "train.txt").write_text(lm_text)
    if tsv:
        (root / "train.tsv").write_text(tsv)
        (root / "labels.json").write_text(json.dumps(list(labels)))
    return root


def test_encode_lm_split_adds_one_eos_per_line_and_skips_blank_lines(tmp_path):
    root = write_corpus(tmp_path, lm_text="the cat sat\n\nthe bird\n")
    ids = encode_lm_split(root, "train", Vocab.for_corpus(root))
    # "bird" is not in the vocabulary -> <unk>; the blank line adds nothing.
    assert ids.tolist() == [3, 4, 5, 2, 3, 1, 2]


def test_vocab_requires_specials_in_order(tmp_path):
    (tmp_path / "vocab.json").write_text(json.dumps({"itos": ["<unk>", "<pad>", "<eos>", "a"]}))
    with pytest.raises(CorpusError, match="vocab.json.*entry 0.*<pad>"):
        Vocab.for_corpus(tmp_path)


def test_batchify_cuts_columns_and_drops_the_tail():
    data = torch.arange(26)
    source = batchify(data, 4)
    assert source.shape == (6, 4)
    assert source[:, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert source[:, 3].tolist() == [18, 19, 20, 21, 22, 23]


def test_bptt_batches_cover_every_transition_once():
    source = batchify(torch.arange(40), 2)  # (20, 2)
    n = num_bptt_batches(source, 6)
    assert n == 4  # rows 0, 6, 12, 18 < 19
    pairs = []
    for i in range(n):
        x, y = get_bptt_batch(source, i, 6)
        assert x.shape == y.shape and x.size(0) <= 6
        assert torch.equal(y[:-1], x[1:])
        pairs += list(zip(x.flatten().tolist(), y.flatten().tolist()))
    assert sorted(pairs) == sorted((int(a), int(a) + 1) for a in range(40) if a not in (19, 39))


def test_bptt_batch_count_for_exact_multiple():
    source = torch.zeros(36, 1, dtype=torch.long)
    assert num_bptt_batches(source, 35) == 1
    assert get_bptt_batch(source, 0, 35)[0].size(0) == 35


def test_batchify_refuses_too_little_text():
    with pytest.raises(CorpusError, match="batch_size 8"):
        batchify(torch.arange(10), 8)


@pytest.mark.parametrize("batch_size", [1, 3, 4, 11])
def test_eval_columns_predict_every_token_once(batch_size):
    data = torch.arange(10, 21)  # 11 tokens
    cols = eval_columns(data, batch_size, start_id=2, pad_id=0)
    assert cols.tokens == 11
    targets = cols.targets.t()[cols.mask.t()]  # column by column
    inputs = cols.inputs.t()[cols.mask.t()]
    assert targets.tolist() == data.tolist()
    assert inputs.tolist() == [2] + data[:-1].tolist()


def test_window_contexts_pad_with_start_id():
    data = torch.tensor([5, 6, 7, 8])
    ctx = window_contexts(data, 3, start_id=2)
    assert ctx.tolist() == [[2, 2, 2], [2, 2, 5], [2, 5, 6], [5, 6, 7]]


def test_epoch_permutation_depends_only_on_seed_and_epoch():
    a, b = epoch_permutation(50, 1, 0), epoch_permutation(50, 1, 0)
    assert torch.equal(a, b)
    assert not torch.equal(a, epoch_permutation(50, 1, 1))
    assert not torch.equal(a, epoch_permutation(50, 2, 0))
    assert sorted(a.tolist()) == list(range(50))


def test_encode_classification_split_and_padding(tmp_path):
    root = write_corpus(tmp_path, tsv="sentence\tlabel\tsource\nthe cat\tpos\tx\nthe dog sat\tneg\ty\n")
    data = encode_classification_split(root, "train", Vocab.for_corpus(root))
    assert [s.tolist() for s in data.sentences] == [[3, 4], [3, 6, 5]]
    assert data.labels.tolist() == [1, 0]
    assert data.gold_names == ["pos", "neg"]
    ids, lengths = pad_batch(data.sentences, pad_id=0)
    assert ids.shape == (3, 2)
    assert ids[:, 0].tolist() == [3, 4, 0]
    assert lengths.tolist() == [2, 3]


def test_unknown_label_names_file_and_line(tmp_path):
    root = write_corpus(tmp_path, tsv="sentence\tlabel\nthe cat\tpos\nthe dog\tmaybe\n")
    with pytest.raises(CorpusError, match=r"train\.tsv:3: label 'maybe'"):
        encode_classification_split(root, "train", Vocab.for_corpus(root))


def test_empty_sentence_is_an_error(tmp_path):
    root = write_corpus(tmp_path, tsv="sentence\tlabel\n\tpos\n")
    with pytest.raises(CorpusError, match=r"train\.tsv:2: empty sentence"):
        encode_classification_split(root, "train", Vocab.for_corpus(root))


def test_length_grouped_batches_cover_every_sentence_once_with_little_padding():
    rng = random.Random(0)
    lengths = [rng.randint(1, 150) for _ in range(1000)]
    batches = length_grouped_batches(lengths, 8, seed=3, epoch=2)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(1 <= len(b) <= 8 for b in batches)
    assert batches == length_grouped_batches(lengths, 8, seed=3, epoch=2)
    assert batches != length_grouped_batches(lengths, 8, seed=3, epoch=3)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    shuffled = list(range(1000))
    random.Random(1).shuffle(shuffled)
    plain = sum(8 * max(lengths[i] for i in shuffled[s:s + 8]) for s in range(0, 1000, 8))
    assert padded < 0.7 * plain
    # The batch order is shuffled: consecutive batches are not sorted by length.
    firsts = [lengths[b[0]] for b in batches[:POOL_BATCHES]]
    assert firsts != sorted(firsts)
