"""The probe's vocabularies: bytes, or words (a word, one digit or one symbol, with its leading spaces).

Words cut sequences several-fold on templated text (names, relation words), which is most of the
probe's CPU time; digits stay single tokens so numbers are built digit by digit either way. Both
decode to exactly the text they encoded, so the answer is read back from a decode as the data
format defines it. The word vocabulary is the train rows' words, in sorted order (deterministic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"\s*(?:[^\W\d]+|\d|[^\w\s])|\s+$")
SPECIALS = ("<eos>", "<pad>", "<unk>")
KINDS = ("words", "bytes")


class Vocabulary:
    def __init__(self, kind: str, texts: Iterable[str] = ()) -> None:
        self.kind = kind
        if kind == "bytes":
            self.pieces = [bytes([i]).decode("latin-1") for i in range(256)]
        else:
            self.pieces = sorted({piece for text in texts for piece in WORD.findall(text)})
        self.index = {p: i for i, p in enumerate(self.pieces)}
        self.eos, self.pad, self.unk = (len(self.pieces) + i for i in range(len(SPECIALS)))
        self.size = len(self.pieces) + len(SPECIALS)

    def encode(self, text: str) -> list[int]:
        if self.kind == "bytes":
            return list(text.encode())
        return [self.index.get(piece, self.unk) for piece in WORD.findall(text)]

    def decode(self, ids: list[int]) -> str:
        if self.kind == "bytes":
            return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")
        return "".join(self.pieces[i] if i < len(self.pieces) else "" for i in ids)
