"""Where the shared corpus (../shared beside the repository) lives, and the skip when a checkout has none."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def shared_dir() -> Path:
    """../shared, or skip the calling test when this checkout has no shared corpus beside it."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"../shared not present: no corpus at {SHARED / 'corpus'}")
    return SHARED


def seed_files() -> list[Path]:
    """The five noisy seed reports (never copied into the repository)."""
    return sorted((shared_dir() / "corpus" / "seeds").glob("*.txt"))


def national_jsonl() -> Path:
    """The 72 national records: government work reports and NPC resolutions, one JSON object a line."""
    return shared_dir() / "corpus" / "national" / "government_work_reports.jsonl"
