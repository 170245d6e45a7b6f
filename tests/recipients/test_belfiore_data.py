"""The committed list of Belfiore codes is what python-codicefiscale's data says."""

from __future__ import annotations

from importlib import resources

from .belfiore_source import render


def test_the_committed_belfiore_list_matches_python_codicefiscale_s_data() -> None:
    committed = (
        resources.files("appio_core.content").joinpath("data/belfiore_codes.txt").read_text("ascii")
    )
    assert committed == render(), (
        "Rigenera la lista: .venv/bin/python -m tests.recipients.belfiore_source"
        " > appio_core/content/data/belfiore_codes.txt"
    )
