"""Shared fixtures: the repository root and the read-only real corpora beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpora").is_dir():
        pytest.skip(f"real corpora not found at {SHARED}/corpora (they sit beside the checkout in CI)")
    return SHARED


def _write_classification_dir(path: Path, splits: dict[str, list[tuple[str, str]]], labels: list[str]) -> Path:
    """A processed classification folder: {split}.tsv + labels.json."""
    import json

    path.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        lines = ["sentence\tlabel"] + [f"{s}\t{lab}" for s, lab in rows]
        (path / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    return path


@pytest.fixture
def write_classification_dir():
    return _write_classification_dir
