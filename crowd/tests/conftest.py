"""Shared fixtures for the crowd tests: where the PedPy reference data lives."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PEDPY_DIR = REPO_ROOT.parent / "shared" / "data" / "pedpy"


@pytest.fixture(scope="session")
def pedpy_dir() -> Path:
    if not (PEDPY_DIR / "corner" / "traj.txt").exists():
        pytest.skip(
            f"PedPy reference data not found at {PEDPY_DIR} (repo_root/../shared/data/pedpy)"
        )
    return PEDPY_DIR
