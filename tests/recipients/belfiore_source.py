"""Builds appio_core/content/data/belfiore_codes.txt from python-codicefiscale's data files.

Run `.venv/bin/python -m tests.recipients.belfiore_source \
    > appio_core/content/data/belfiore_codes.txt`
after upgrading python-codicefiscale; a test keeps the committed file and this output equal.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import codicefiscale

_SOURCES = (
    "municipalities.json",
    "municipalities-patch.json",
    "countries.json",
    "countries-patch.json",
    "deleted-countries.json",
)


def belfiore_codes() -> list[str]:
    data_dir = Path(codicefiscale.__file__).parent / "data"
    codes: set[str] = set()
    for name in _SOURCES:
        path = data_dir / name
        if path.exists():
            codes.update(entry["code"] for entry in json.loads(path.read_text("utf-8")))
    # The package lists "ND" (non disponibile) as a placeholder, which is no birthplace.
    return sorted(code for code in codes if re.fullmatch(r"[A-Z][0-9]{3}", code))


def render() -> str:
    version = metadata.version("python-codicefiscale")
    header = (
        "# Belfiore codes: Italian municipalities, current and former, and foreign countries.\n"
        f"# Derived from python-codicefiscale {version} (codicefiscale/data/*.json, MIT licence)\n"
        "# by tests/recipients/belfiore_source.py. One code per line.\n"
    )
    return header + "\n".join(belfiore_codes()) + "\n"


if __name__ == "__main__":
    print(render(), end="")
