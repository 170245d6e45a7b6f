"""Values from a spreadsheet put into a Markdown message, without becoming Markdown.

A cell `![x](http://host/pixel.png?cf=...)` put into a text as it is becomes an image that
IO's app fetches when the citizen opens the message: a tracker, or worse. The operator's
template is Markdown on purpose; the values put into it are data, so their Markdown
characters are escaped with backslashes (CommonMark: a backslash before ASCII punctuation
makes it literal). IO counts the text as sent, escapes included, so lengths are measured on
the escaped values.

A bare address (`https://...`) is left as it is: escapes do not stop a renderer that turns
plain addresses into links, so such values are reported to the operator instead
(`looks_formatted`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Characters that open a link, an image, HTML, emphasis, code, a table or a heading anywhere.
_ANYWHERE = r"[\\`*_\[\]<>!~|#]"
# At the start of a line only: a list item, a setext heading underline ("===", "---").
_LINE_START_MARK = r"(^|\n)([ \t]*)([-+=])"
_LINE_START_NUMBER = r"(^|\n)([ \t]*)([0-9]+)([.)])"
_NEEDS_ESCAPE = r"[\\`*_\[\]<>!~|#]|(^|\n)[ \t]*([-+=]|[0-9]+[.)])"

# What deserves a look from the operator: an address, a link or image, HTML, a heading.
_FORMATTED = r"(?i)https?://|www\.|!\[|\]\(|<[a-z/!?]|(^|\n)[ \t]*#"


def escape(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The values with their Markdown characters escaped; only rows that have one are
    rewritten (a regex match is cheaper than a replacement, and most names have none)."""
    if not len(values):
        return values
    needs = pc.match_substring_regex(values, _NEEDS_ESCAPE)
    if not pc.any(needs).as_py():
        return values
    picked = values.filter(needs)
    picked = pc.replace_substring_regex(picked, _ANYWHERE, r"\\\0")
    picked = pc.replace_substring_regex(picked, _LINE_START_MARK, r"\1\2\\\3")
    picked = pc.replace_substring_regex(picked, _LINE_START_NUMBER, r"\1\2\3\\\4")
    if isinstance(picked, pa.ChunkedArray):
        picked = picked.combine_chunks()
    return pc.replace_with_mask(values, needs, picked)


def escape_text(value: str) -> str:
    return str(escape(pa.array([value], type=pa.large_string()))[0].as_py())


def looks_formatted(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per row: the value holds an address, a link, an image, HTML or a heading."""
    return pc.match_substring_regex(values, _FORMATTED).to_numpy(zero_copy_only=False)
