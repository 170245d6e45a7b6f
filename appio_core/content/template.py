"""Subject and text templates with placeholders naming columns: "Gentile {{nome}}, ...".

Rendering is a pyarrow concatenation over whole columns. Checking lengths needs no rendering
at all: a rendered text is as long as the template's fixed parts plus the values put in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content.lengths import text_length, text_lengths

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def header_key(header: str) -> str:
    """A column header, or a placeholder's name, as compared: no case, accents, spaces,
    underscores, hyphens or dots. It lives here, not with the file reader, because a
    template's placeholders are matched to headers by it."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@dataclass(frozen=True)
class Template:
    """`literals` surround `names`: literals[0] names[0] literals[1] ... literals[-1]."""

    source: str
    literals: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def parse(cls, source: str) -> Template:
        source = source.strip()
        parts = _PLACEHOLDER.split(source)
        return cls(source=source, literals=tuple(parts[0::2]), names=tuple(parts[1::2]))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(header_key(name) for name in self.names)

    def stray_braces(self) -> bool:
        """Braces left over once placeholders are taken out: a typo such as "{{nome}"."""
        return any("{{" in part or "}}" in part for part in self.literals)

    def fixed_length(self) -> int:
        return sum(text_length(part) for part in self.literals)

    def lengths(self, values: list[pa.Array], rows: int) -> np.ndarray:
        """Rendered length per row; `values` follow `names`. A template without
        placeholders is as long as itself on every row."""
        total = np.full(rows, self.fixed_length(), dtype=np.int64)
        for column in values:
            total += text_lengths(column)
        return total

    def render(self, values: list[pa.Array], rows: int) -> pa.Array:
        if not self.names:
            return pa.array([self.source] * rows, type=pa.large_string())
        text = pa.large_string()
        pieces: list[pa.Array | pa.Scalar] = []
        for literal, column in zip(self.literals, values, strict=False):
            pieces.extend([pa.scalar(literal, text), column])
        pieces.append(pa.scalar(self.literals[-1], text))
        return pc.binary_join_element_wise(*pieces, pa.scalar("", text))
