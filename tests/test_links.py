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


def test_a_page_left_at_the_end_of_the_address_is_not_repeated() -> None:
    assert link_to("http://127.0.0.1:8501/flusso", "flusso", "flusso", 1) == (
        "http://127.0.0.1:8501/flusso?flusso=1"
    )
    assert link_to("https://io.comune.it/flussi/notifiche", "notifica", "notifica", 7) == (
        "https://io.comune.it/flussi/notifica?notifica=7"
    )


def test_without_the_address_the_link_is_relative() -> None:
    assert link_to(None, "flusso", "flusso", 12) == "flusso?flusso=12"
