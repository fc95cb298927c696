"""A binary copy of an ARPA model, ``<model>.arpa.npz``, that loads at disk speed.

It is an uncompressed ``.npz`` of plain arrays (no pickle): the vocabulary as UTF-8 bytes joined
by newlines (words never hold whitespace), and per order ``key`` (int64, prefix row times the
vocabulary size plus word, as in tables.py) and ``logprob``/``backoff`` (float64), holding the
values the ARPA text reads back as: 24 bytes an n-gram. It records the size of the ARPA file it
copies and is ignored when that no longer matches (or when it has another layout). It is written
block by block, so writing one needs no more memory than writing the ARPA file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..io import atomic_path
from .tables import NgramModel, NgramOrder

SUFFIX = ".npz"


def binary_path(arpa: str | os.PathLike[str]) -> Path:
    arpa = Path(arpa)
    return arpa.with_name(arpa.name + SUFFIX)


class BinaryWriter:
    """Adds arrays to the .npz one at a time, each from blocks of known total length."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def add(self, name: str, dtype: np.dtype, length: int, blocks: Iterator[np.ndarray]) -> None:
        with self.archive.open(f"{name}.npy", "w", force_zip64=True) as out:
            np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                       "fortran_order": False, "shape": (length,)})
            written = 0
            for block in blocks:
                out.write(memoryview(np.ascontiguousarray(block, dtype=dtype)).cast("B"))
                written += block.size
            assert written == length, f"{name}: wrote {written} of {length} values"


def write_binary(path: Path, vocab: list[str], sizes: list[int], columns: Iterator[tuple[str, int, Iterator[np.ndarray]]],
                 arpa_bytes: Callable[[], int]) -> None:
    """Write the copy of an ARPA file to ``path`` from ``columns``: (field, order, blocks) for every
    field of every order; ``arpa_bytes()``, the size of the ARPA file, is asked for last."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        writer = BinaryWriter(archive)
        words = np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8)
        writer.add("vocab", np.dtype(np.uint8), words.size, iter([words]))
        for name, n, blocks in columns:
            dtype = np.int64 if name == "key" else np.float64
            writer.add(f"{name}{n}", np.dtype(dtype), sizes[n - 1], blocks)
        meta = np.array([arpa_bytes(), len(sizes), *sizes])
        writer.add("meta", np.dtype(np.int64), meta.size, iter([meta]))


def read_binary(arpa: str | os.PathLike[str]) -> NgramModel | None:
    """The model from ``binary_path(arpa)``, or None if there is none or it copies another ARPA file."""
    path = binary_path(arpa)
    try:
        size = Path(arpa).stat().st_size
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
    with archive:
        meta = archive["meta"]
        if int(meta[0]) != size or "key1" not in archive.files:  # another ARPA file, or an older layout
            return None
        vocab = archive["vocab"].tobytes().decode("utf-8").split("\n")
        orders = [NgramOrder(*np.divmod(archive[f"key{n}"], len(vocab)), logprob=archive[f"logprob{n}"],
                             backoff=archive[f"backoff{n}"] if n < int(meta[1]) else None)
                  for n in range(1, int(meta[1]) + 1)]
    return NgramModel(vocab=vocab, orders=orders)
