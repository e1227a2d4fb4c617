import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import problems_table  # noqa: E402


@pytest.fixture(scope="session")
def problems():
    """4,000 templated arithmetic problems with ~3% planted near and ~1% exact duplicates."""
    return problems_table(4000, seed=11, near_dup_fraction=0.03, exact_dup_fraction=0.01)


@pytest.fixture(scope="session")
def clean():
    """Problems without planted duplicates (natural collisions of short questions remain)."""
    return problems_table(3000, seed=5)


@pytest.fixture(scope="session")
def small():
    """1,200 problems with planted duplicates: enough for the report, cheap for its cubic samples."""
    return problems_table(1200, seed=3, near_dup_fraction=0.05, exact_dup_fraction=0.01)
