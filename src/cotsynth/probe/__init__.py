"""`cotsynth probe`: train a tiny transformer on an output's rows, on CPU, to see what the data teaches.

torch and matplotlib come with the `probe` extra (`pip install "cotsynth[probe]"`); importing this package does not
need them, the training and plotting modules do.
"""

from __future__ import annotations

INSTALL = 'pip install "cotsynth[probe]"'


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
