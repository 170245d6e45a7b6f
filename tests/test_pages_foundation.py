"""AppTest tests of the frame (login, navigation) and of the Servizi and Operatori pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import create_operator, get_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import (
    DEFAULT_ACCOUNT,
    ServiceInput,
    create_service,
    enable_operator,
    list_services,
    seal_keys,
    set_account_rate_limit,
)
from appio_core.domain import Role
from appio_core.storage.models import Service
from appio_ui import grid

from .apptest import app_as


@pytest.fixture
def people(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> dict[str, Actor]:
    admin = Actor.system()
    with sessions.begin() as session:
        created = {
            "admin": create_operator(session, admin, "capo", "password-123", Role.ADMIN, "Capo"),
            "operator": create_operator(
                session, admin, "mrossi", "password-123", Role.OPERATOR, "Mario Rossi"
            ),
            "viewer": create_operator(session, admin, "lettore", "password-123", Role.VIEWER),
        }
        create_service(
            session, admin, ServiceInput("Tributi", "01JTRIB", "primary-key-1234"), keybox
        )
        create_service(
            session, admin, ServiceInput("Mensa", "01JMENSA", "primary-key-5678"), keybox
        )
        enable_operator(session, admin, "Tributi", "mrossi")
        return {name: Actor.of(op) for name, op in created.items()}


def test_without_login_the_app_shows_only_the_login_form(people: dict[str, Actor]) -> None:
    at = app_as(None)
    assert at.title[0].value == "IO Flussi"
    assert [t.label for t in at.text_input] == ["Nome utente", "Password"]


def test_a_wrong_password_is_refused_in_italian(people: dict[str, Actor]) -> None:
    at = app_as(None)
    at.text_input[0].input("mrossi")
    at.text_input[1].input("sbagliata")
    at.button[0].click().run()
    assert at.error[0].value.startswith("Nome utente o password non corretti")
    assert "actor" not in at.session_state


def test_after_repeated_failures_the_login_says_it_is_locked(
    people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPIO_LOGIN_MAX_FAILURES", "2")
    at = app_as(None)
    for _ in range(2):
        at.text_input[0].input("mrossi")
        at.text_input[1].input("sbagliata")
        at.button[0].click().run()
    at.text_input[0].input("mrossi")
    at.text_input[1].input("password-123")
    at.button[0].click().run()
    assert at.error[0].value.startswith("Troppi tentativi di accesso non riusciti: riprova tra")
    assert "actor" not in at.session_state


def test_the_right_password_signs_the_operator_in(people: dict[str, Actor]) -> None:
    at = app_as(None)
    at.text_input[0].input("mrossi")
    at.text_input[1].input("password-123")
    at.button[0].click().run()
    assert at.session_state["actor"].username == "mrossi"
    assert "Mario Rossi" in at.sidebar.markdown[0].value


def test_servizi_shows_an_operator_only_their_services(people: dict[str, Actor]) -> None:
    at = app_as(people["operator"], "pages/servizi.py")
    assert at.title[0].value == "Servizi"
    assert not at.expander  # no "Nuovo servizio" for non-administrators


def test_servizi_lets_an_administrator_add_a_service(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    form = {t.label: t for t in at.text_input}
    form["Nome del servizio"].input("Polizia locale")
    form["Identificativo servizio IO"].input("01JPOLIZIA")
    form["Chiave primaria"].input("polizia-primary-0001")
    at.button(key="FormSubmitter:new_service_0-Aggiungi servizio").click().run()
    assert not at.exception
    assert at.success[0].value == "Servizio «Polizia locale» aggiunto."
    with sessions() as session:
        names = [s.name for s in list_services(session, Actor.system())]
    assert "Polizia locale" in names


def test_servizi_reports_a_bad_key_in_italian(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    form = {t.label: t for t in at.text_input}
    form["Nome del servizio"].input("Polizia locale")
    form["Identificativo servizio IO"].input("01JPOLIZIA")
    form["Chiave primaria"].input("corta")
    at.button(key="FormSubmitter:new_service_0-Aggiungi servizio").click().run()
    assert at.error[0].value.startswith("Chiave primaria non valida")


def test_operatori_is_in_the_navigation_of_administrators_only(people: dict[str, Actor]) -> None:
    at = app_as(people["admin"], "pages/operatori.py")
    assert at.title[0].value == "Operatori"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(people["operator"], "pages/operatori.py")


def test_operatori_adds_an_operator(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], "pages/operatori.py")
    form = {t.label: t for t in at.text_input}
    form["Nome utente"].input("nuova")
    form["Password iniziale"].input("password-999")
    at.button(key="FormSubmitter:new_operator_0-Aggiungi operatore").click().run()
    assert at.success[0].value == "Operatore «nuova» aggiunto."


@pytest.fixture
def chosen_in_grid(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """AppTest cannot click in AgGrid: the grid answers as if the row had been chosen."""

    def choose(row_id: int) -> None:
        monkeypatch.setattr(grid, "selectable_grid", lambda *a, **k: row_id)

    return choose


def _service_id(sessions: sessionmaker[Session], name: str) -> int:
    with sessions() as session:
        return next(s.id for s in list_services(session, Actor.system()) if s.name == name)


def test_verifica_connessione_works_on_an_account_without_a_limit(
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    chosen_in_grid: Callable[[int], None],
) -> None:
    with sessions.begin() as session:
        set_account_rate_limit(session, Actor.system(), DEFAULT_ACCOUNT, 0, 5)
    chosen_in_grid(_service_id(sessions, "Tributi"))
    at = app_as(people["admin"], "pages/servizi.py")
    [check] = [b for b in at.button if b.label.startswith("Verifica connessione")]
    check.click().run()
    assert not at.exception
    # The simulator does not know this service's key: what matters is IO's answer, shown
    # as the check's outcome, instead of a traceback.
    assert at.error[0].value.startswith("Chiave rifiutata")


def test_a_key_sealed_with_another_secret_is_explained_not_a_traceback(
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    chosen_in_grid: Callable[[int], None],
) -> None:
    service_id = _service_id(sessions, "Tributi")
    with sessions.begin() as session:
        other = KeyBox(Fernet.generate_key().decode())
        service = session.get(Service, service_id)
        assert service is not None
        seal_keys(service, "primary-key-1234", None, other)
    chosen_in_grid(service_id)
    at = app_as(people["admin"], "pages/servizi.py")
    [check] = [b for b in at.button if b.label.startswith("Verifica connessione")]
    check.click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Impossibile decifrare la chiave API")


def test_operatori_changes_the_role_of_the_chosen_operator(
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    chosen_in_grid: Callable[[int], None],
) -> None:
    chosen_in_grid(people["operator"].id or 0)
    at = app_as(people["admin"], "pages/operatori.py")
    role = at.selectbox[0]  # the chosen operator's; the new operator's form comes after
    assert role.label == "Ruolo" and role.value == Role.OPERATOR
    assert role.options == ["Amministratore", "Operatore", "Consultazione"]  # ROLE_LABELS
    role.select(Role.VIEWER)
    at.button(key="FormSubmitter:role_mrossi-Cambia ruolo").click().run()
    assert at.success[0].value == "Operatore «mrossi»: ruolo Consultazione."
    with sessions() as session:
        assert get_operator(session, "mrossi").role == Role.VIEWER


def test_operatori_keeps_what_was_typed_when_the_password_is_refused(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], "pages/operatori.py")
    form = {t.label: t for t in at.text_input}
    form["Nome utente"].input("nuova")
    form["Nome e cognome"].input("Nuova Collega")
    form["Password iniziale"].input("corta")
    at.button(key="FormSubmitter:new_operator_0-Aggiungi operatore").click().run()
    assert "Password troppo corta" in at.error[0].value
    form = {t.label: t for t in at.text_input}
    assert (form["Nome utente"].value, form["Nome e cognome"].value) == ("nuova", "Nuova Collega")
    form["Password iniziale"].input("password-lunga-1")
    at.button(key="FormSubmitter:new_operator_0-Aggiungi operatore").click().run()
    assert at.success[0].value == "Operatore «nuova» aggiunto."
    # Saved: the form is empty again for the next colleague.
    assert all(not t.value for t in at.text_input)


def test_operatori_shows_roles_with_their_labels(
    people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[object] = []
    monkeypatch.setattr(grid, "selectable_grid", lambda frame, *a, **k: shown.append(frame))
    app_as(people["admin"], "pages/operatori.py")
    assert set(shown[0]["role"]) == {"Amministratore", "Operatore", "Consultazione"}  # type: ignore[index]


def test_servizi_keeps_the_form_on_a_refusal_and_reads_the_maximum_the_italian_way(
    people: dict[str, Actor], sessions: sessionmaker[Session]
) -> None:
    at = app_as(people["admin"], "pages/servizi.py")
    form = {t.label: t for t in at.text_input}
    assert form["Importo massimo di pagamento (€)"].value == "10.000,00"
    form["Nome del servizio"].input("Polizia locale")
    form["Identificativo servizio IO"].input("01JPOLIZIA")
    form["Chiave primaria"].input("polizia-primary-0001")
    form["Importo massimo di pagamento (€)"].input("duemila")
    at.button(key="FormSubmitter:new_service_0-Aggiungi servizio").click().run()
    assert at.error[0].value.startswith("Importo massimo di pagamento: Importo non valido")
    form = {t.label: t for t in at.text_input}
    assert form["Nome del servizio"].value == "Polizia locale"
    form["Importo massimo di pagamento (€)"].input("2.500,50")
    at.button(key="FormSubmitter:new_service_0-Aggiungi servizio").click().run()
    assert at.success[0].value == "Servizio «Polizia locale» aggiunto."
    with sessions() as session:
        added = next(
            s for s in list_services(session, Actor.system()) if s.name == "Polizia locale"
        )
    assert added.max_payment_amount == 250_050


def test_il_mio_account_changes_the_operators_own_password(people: dict[str, Actor]) -> None:
    at = app_as(people["viewer"], "pages/account.py")
    assert at.title[0].value == "Il mio account"
    at.text_input[0].input("password-123")
    at.text_input[1].input("password1234")
    at.text_input[2].input("password1234")
    at.button[0].click().run()
    assert at.error[0].value.startswith("Questa password è tra le più comuni")
    at.text_input[0].input("password-123")
    at.text_input[1].input("cavallo-batteria-graffetta")
    at.text_input[2].input("cavallo-batteria-graffetta")
    at.button[0].click().run()
    assert at.success[0].value == "Password cambiata."
    assert at.session_state["actor"] is not None  # this browser stays signed in


def test_operatori_resets_a_password_and_sets_the_sso_address(
    people: dict[str, Actor],
    sessions: sessionmaker[Session],
    chosen_in_grid: Callable[[int], None],
) -> None:
    from appio_core.accounts.operators import authenticate

    chosen_in_grid(people["operator"].id or 0)
    at = app_as(people["admin"], "pages/operatori.py")
    form = {t.label: t for t in at.text_input}
    form["Nuova password"].input("12345678")
    at.button(key="FormSubmitter:reset_mrossi-Reimposta password").click().run()
    assert at.error[0].value.startswith("Password troppo corta")
    form = {t.label: t for t in at.text_input}
    form["Nuova password"].input("cavallo-batteria-graffetta")
    at.button(key="FormSubmitter:reset_mrossi-Reimposta password").click().run()
    assert at.success[0].value.startswith("Password di «mrossi» reimpostata")
    email = next(t for t in at.text_input if t.label.startswith("E-mail"))
    email.input("m.rossi@comune.example.it")
    at.button(key="FormSubmitter:email_mrossi-Salva e-mail").click().run()
    assert at.success[0].value == "Operatore «mrossi»: e-mail aggiornata."
    with sessions() as session:
        assert authenticate(session, "mrossi", "cavallo-batteria-graffetta") is not None
        assert get_operator(session, "mrossi").email == "m.rossi@comune.example.it"


def test_the_app_keeps_its_imports_out_of_the_garbage_collector_s_sight(app_env: str) -> None:
    """Streamlit collects garbage after each script run; with the imports frozen out of the
    collector's sight it costs milliseconds, not 100 ms with the GIL held (appio_ui/runtime).
    In a process of its own: this one's collector may be frozen by another test already."""
    import subprocess
    import sys

    from .apptest import APP

    script = (
        "import gc\nfrom streamlit.testing.v1 import AppTest\n"
        f"AppTest.from_file({APP!r}, default_timeout=30).run()\n"
        "print(gc.get_freeze_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(done.stdout.split()[-1]) > 10_000
