"""The links the detail pages show for sharing."""

from __future__ import annotations

from appio_ui.links import link_to


def test_the_link_is_the_apps_address_with_the_page_and_its_id() -> None:
    assert link_to("https://io.comune.it/flussi/", "flusso", "flusso", 12) == (
        "https://io.comune.it/flussi/flusso?flusso=12"
    )
    assert link_to("http://127.0.0.1:8501", "notifica", "notifica", 3) == (
        "http://127.0.0.1:8501/notifica?notifica=3"
    )


def test_without_the_address_the_link_is_relative() -> None:
    assert link_to(None, "flusso", "flusso", 12) == "flusso?flusso=12"
