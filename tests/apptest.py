"""Running app.py under Streamlit's AppTest as a given operator, on a given page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from appio_core.accounts.permissions import Actor

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def app_as(
    actor: Actor | None,
    page: str | None = None,
    flow_id: int | None = None,
    notification_id: int | None = None,
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if actor is not None:
        at.session_state["actor"] = actor
    if flow_id is not None:
        at.session_state["flow_id"] = flow_id
    if notification_id is not None:
        at.session_state["notification_id"] = notification_id
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at
