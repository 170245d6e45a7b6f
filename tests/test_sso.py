"""Single sign-on: the provider's e-mail claim names an operator who must exist and be
active. The identity provider is faked at the app's boundary (appio_ui.sso, where
st.user is read): Streamlit's own OpenID Connect dance (st.login) is not run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from appio_core.accounts.operators import create_operator, set_active, set_email
from appio_core.accounts.permissions import Actor
from appio_core.accounts.sso import sign_in_by_email
from appio_core.audit.models import AuditEntry
from appio_core.domain import Role
from appio_core.errors import Conflict, InvalidInput
from appio_ui import sso

from .apptest import APP, app_as

EMAIL = "Mario.Rossi@Comune.Example.it"


def test_the_email_claim_names_an_active_operator(
    session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    make_actor("mrossi", Role.OPERATOR)
    make_actor("lbianchi", Role.VIEWER)
    set_email(session, Actor.system(), "mrossi", EMAIL)
    with pytest.raises(Conflict, match="è già dell'operatore «mrossi»"):
        set_email(session, Actor.system(), "lbianchi", EMAIL.lower())
    with pytest.raises(InvalidInput, match="non valido"):
        set_email(session, Actor.system(), "lbianchi", "non-un-indirizzo")

    actor = sign_in_by_email(session, "mario.rossi@comune.example.it", "198.51.100.4")
    assert actor is not None and actor.username == "mrossi"
    assert sign_in_by_email(session, "chiunque@comune.example.it", None) is None
    assert sign_in_by_email(session, "", None) is None
    set_active(session, Actor.system(), "mrossi", False)
    assert sign_in_by_email(session, EMAIL, None) is None
    session.commit()
    details = [e.detail for e in session.scalars(select(AuditEntry)) if e.action == "login"]
    assert "Con single sign-on (mario.rossi@comune.example.it)." in details
    assert "Nessun operatore con questo indirizzo e-mail." in details
    assert "Operatore disattivato." in details


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str | None]]:
    """What the identity provider vouched for in this browser ({"email": None}: nothing)."""
    identity: dict[str, str | None] = {"email": None}
    monkeypatch.setattr(sso, "configured", lambda: True)
    monkeypatch.setattr(sso, "identity_email", lambda: identity["email"])
    monkeypatch.setattr(sso, "end", lambda: identity.update(email=None))
    yield identity


def test_the_app_signs_in_the_operator_the_provider_vouched_for(
    app_env: str, sessions: sessionmaker[Session], provider: dict[str, str | None]
) -> None:
    with sessions.begin() as session:
        create_operator(
            session, Actor.system(), "mrossi", "password-1234", Role.OPERATOR, "Mario Rossi"
        )
        set_email(session, Actor.system(), "mrossi", EMAIL)

    at = app_as(None)
    assert at.button[0].label == "Accedi con l'account dell'ente"
    provider["email"] = "mario.rossi@comune.example.it"
    at.run()
    assert at.session_state["actor"].username == "mrossi"
    assert "Mario Rossi" in at.sidebar.markdown[0].value

    at.sidebar.button[0].click().run()  # «Esci» also forgets the provider's identity
    assert provider["email"] is None
    assert "actor" not in at.session_state


def test_an_unknown_address_is_refused_with_what_to_do(
    app_env: str, provider: dict[str, str | None]
) -> None:
    provider["email"] = "chiunque@comune.example.it"
    at = app_as(None)
    assert "actor" not in at.session_state
    assert at.error[0].value.startswith(
        "L'account «chiunque@comune.example.it» non corrisponde a nessun operatore attivo"
    )
    # Local passwords stay: the form is still there.
    assert at.text_input[0].label == "Nome utente"


def test_the_cli_sets_an_operators_address(app_env: str, session: Session) -> None:
    from click.testing import CliRunner

    from appio_core.cli import cli

    create_operator(session, Actor.system(), "mrossi", "password-1234", Role.OPERATOR)
    session.commit()
    done = CliRunner().invoke(cli, ["operator", "email", "mrossi", EMAIL])
    assert done.exit_code == 0, done.output
    assert sign_in_by_email(session, EMAIL, None) is not None


def test_an_ended_session_is_not_renewed_silently_by_the_providers_identity(
    app_env: str, sessions: sessionmaker[Session], provider: dict[str, str | None]
) -> None:
    from appio_core.accounts.sessions import revoke_all

    with sessions.begin() as session:
        operator = create_operator(
            session, Actor.system(), "mrossi", "password-1234", Role.OPERATOR, "Mario Rossi"
        )
        set_email(session, Actor.system(), "mrossi", EMAIL)
        operator_id = operator.id
    provider["email"] = EMAIL.lower()
    at = app_as(None)
    assert at.session_state["actor"].username == "mrossi"
    with sessions.begin() as session:
        ended = revoke_all(session, operator_id)  # as at the idle timeout
    assert ended == 1
    # A reload: a fresh browser session holding only the (now ended) token.
    again = AppTest.from_file(APP, default_timeout=30)
    again.session_state["session_token"] = at.session_state["session_token"]
    again.run()
    assert "actor" not in again.session_state
    assert again.info[0].value == "La sessione è terminata: accedi di nuovo."
    again.run()
    assert "actor" not in again.session_state
