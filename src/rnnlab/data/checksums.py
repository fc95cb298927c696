"""Checksum kinds a corpus file can be verified with: any hashlib algorithm, and git's blob id.

``git-blob-sha1`` is the object id git gives a file's content (what ``git hash-object`` prints and
what GitHub's API lists per file): SHA-1 over ``b"blob <size>\\0"`` followed by the content. It
identifies a file where a repository publishes no sha256.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

GIT_BLOB_SHA1 = "git-blob-sha1"


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def known(algorithm: str) -> bool:
    return algorithm == GIT_BLOB_SHA1 or algorithm in hashlib.algorithms_available


def hex_length(algorithm: str) -> int:
    """Hex digits of a digest of ``algorithm``."""
    return hashlib.sha1().digest_size * 2 if algorithm == GIT_BLOB_SHA1 else hashlib.new(algorithm).digest_size * 2


def new_hasher(algorithm: str, size: int) -> Hasher:
    """A hasher for a file of ``size`` bytes (git's blob header holds the size, so it comes first)."""
    if algorithm == GIT_BLOB_SHA1:
        return hashlib.sha1(f"blob {size}\0".encode("ascii"))
    return hashlib.new(algorithm)
