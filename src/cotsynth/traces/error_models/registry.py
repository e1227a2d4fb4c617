"""Error models by family name: each module of this package registers its family's model here."""

from __future__ import annotations

from collections.abc import Callable

from cotsynth.traces.error_models.base import ErrorModel

MODELS: dict[str, ErrorModel] = {}


def register(*families: str) -> Callable[[type[ErrorModel]], type[ErrorModel]]:
    """Class decorator: one instance of the model serves every family named."""
    def add(cls: type[ErrorModel]) -> type[ErrorModel]:
        model = cls()
        for family in families:
            if family in MODELS:
                raise ValueError(f"error model for {family!r} registered twice")
            MODELS[family] = model
        return cls
    return add
