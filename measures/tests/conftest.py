"""Fixtures for the measures: the case engine's (users, grids, a case factory)."""

import contextlib

# They live in cases/tests/conftest.py or, once moved, in the root conftest.py.
with contextlib.suppress(ImportError):
    from cases.tests.conftest import far_grid, first_grid, make_case, users  # noqa: F401
