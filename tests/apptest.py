"""Running app.py under Streamlit's AppTest as a given operator, on a given page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from appio_core.accounts.permissions import Actor
from appio_core.accounts.sessions import SessionPolicy, open_session
from appio_core.config import load_settings
from appio_core.storage.db import make_engine, make_sessionmaker, session_scope

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def signed_in_token(actor: Actor) -> str:
    """A real session for the operator, in the database the app reads (app_env)."""
    assert actor.id is not None, "only an operator signs in to the app"
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return open_session(session, actor.id, SessionPolicy.of(30, 12))
    finally:
        engine.dispose()


def app_as(
    actor: Actor | None,
    page: str | None = None,
    flow_id: int | None = None,
    notification_id: int | None = None,
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if actor is not None:
        at.session_state["session_token"] = signed_in_token(actor)
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
