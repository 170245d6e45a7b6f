"""Reads of a citizen's data are in the audit log: opening a notification, a search by
codice fiscale (the archive, a flow's recipients), «Verifica destinatario» and `appio io
profile`. One entry per reading, never per row shown nor per rerun of the page, with
its outcome (a refused one too) and the citizen in the entry's own column."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.audit_log import AuditFilters, action_choices
from appio_core.accounts.audit_log import search as audit_search
from appio_core.accounts.operators import set_active
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.errors import AppError, PermissionDenied
from appio_core.io.simulator import Kind
from appio_core.notifications.archive import NotificationFilters, search
from appio_core.notifications.detail import get_detail
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.storage.db import session_scope
from appio_core.storage.models import Service

from ..apptest import app_as
from ..flows.conftest import fiscal_codes, imported_flow
from ..notifications.conftest import MENSA, TARI, citizen

Send = Callable[..., SingleResult]
Read = tuple[str, str, str, str, str, str | None]  # operator, action, target, outcome, detail, cf


def reads(sessions: sessionmaker[Session]) -> list[Read]:
    """Every entry of the «read» family, oldest first."""
    with sessions() as session:
        rows = session.execute(
            select(AUDIT_LOG).where(AUDIT_LOG.c.action.startswith("read.")).order_by(AUDIT_LOG.c.id)
        ).all()
    return [(r.operator, r.action, r.target, r.outcome, r.detail, r.fiscal_code) for r in rows]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# ---- a notification's detail ---------------------------------------------------------------


def test_opening_a_notification_is_one_entry_done_or_refused(
    sessions: sessionmaker[Session],
    operator: Actor,
    viewer: Actor,
    message: NewNotification,
    send: Send,
) -> None:
    sent = send(operator, message)
    mensa = send(operator, message, service_id=_service(sessions, MENSA.name))
    with session_scope(sessions) as session:
        get_detail(session, operator, sent.id)
        get_detail(session, operator, sent.id, record=False)  # the page drawn again
    with pytest.raises(PermissionDenied), session_scope(sessions) as session:
        get_detail(session, viewer, mensa.id)
    assert reads(sessions) == [
        (
            "mrossi",
            "read.notification",
            f"notifica n. {sent.id}",
            "riuscito",
            f"Notifica singola; servizio «{TARI.name}».",
            message.fiscal_code,
        ),
        (
            "lbianchi",
            "read.notification",
            f"notifica n. {mensa.id}",
            "rifiutato",
            "Non sei abilitato a questo servizio.",
            None,
        ),
    ]


def _service(sessions: sessionmaker[Session], name: str) -> int:
    with sessions() as session:
        found = session.scalar(select(Service.id).where(Service.name == name))
    assert found is not None
    return found


def test_the_detail_page_records_its_opening_once_whatever_the_reruns(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    sent = send(operator, message)
    page = app_as(operator, "pages/notifica.py", notification_id=sent.id)
    page.run()
    [refresh] = [b for b in page.button if b.label == "Aggiorna stato"]
    refresh.click().run()
    assert page.success[0].value == "Stato letto da IO ora."
    assert [(r[0], r[1], r[3], r[5]) for r in reads(sessions)] == [
        ("mrossi", "read.notification", "riuscito", message.fiscal_code)
    ]
    app_as(operator, "pages/notifica.py", notification_id=sent.id)  # opened again
    assert len(reads(sessions)) == 2


def test_appio_notification_show_is_one_entry(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    sent = send(operator, message)
    shown = run("notification", "show", str(sent.id))
    assert shown.exit_code == 0, shown.output
    missing = run("notification", "show", "999")
    assert missing.output == "Errore: Notifica 999 non trovata.\n"
    assert [(r[0], r[2], r[3], r[5]) for r in reads(sessions)] == [
        ("appio-cli", f"notifica n. {sent.id}", "riuscito", message.fiscal_code),
        ("appio-cli", "notifica n. 999", "rifiutato", None),
    ]


# ---- searches by codice fiscale ------------------------------------------------------------


def test_a_search_by_codice_fiscale_is_one_entry_with_its_count_and_others_none(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    send(operator, message)
    send(operator, message, subject="Secondo promemoria TARI")
    code = message.fiscal_code
    with session_scope(sessions) as session:
        page = search(session, operator, NotificationFilters(fiscal_code=code), page_size=1)
        assert (page.total, len(page.rows)) == (2, 1)  # one entry, not one per row
        search(session, operator, NotificationFilters(fiscal_code=code), page=2, record=False)
        search(session, operator, NotificationFilters(subject_contains="TARI"))  # no citizen
    assert reads(sessions) == [
        (
            "mrossi",
            "read.search",
            "archivio delle notifiche",
            "riuscito",
            "Filtri: codice fiscale: vedi «Codice fiscale». 2 righe trovate.",
            code,
        )
    ]


def test_a_refused_search_is_recorded_as_refused(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification
) -> None:
    with session_scope(sessions) as session:
        set_active(session, Actor.system(), "mrossi", False)
    with pytest.raises(PermissionDenied), session_scope(sessions) as session:
        search(session, operator, NotificationFilters(fiscal_code=message.fiscal_code))
    [(who, action, _, outcome, detail, code)] = reads(sessions)
    assert (who, action, outcome, code) == (
        "mrossi",
        "read.search",
        "rifiutato",
        message.fiscal_code,
    )
    assert detail.startswith("Filtri: codice fiscale: vedi «Codice fiscale». Il tuo account è")


def test_the_notifiche_page_records_a_search_once_and_a_new_one_again(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    send(operator, message)
    at = app_as(operator, "pages/notifiche.py")
    assert reads(sessions) == []  # the archive without a codice fiscale
    at.text_input(key="nf_cf").input(message.fiscal_code)
    [elenca] = [b for b in at.button if b.label == "Elenca"]
    elenca.click().run()
    assert at.caption[0].value.startswith("1 notifica")
    at.run()
    at.run()
    assert [(r[1], r[3], r[5]) for r in reads(sessions)] == [
        ("read.search", "riuscito", message.fiscal_code)
    ]
    other = citizen(Kind.WITHOUT_IO)
    at.text_input(key="nf_cf").input(other)
    [elenca] = [b for b in at.button if b.label == "Elenca"]
    elenca.click().run()
    assert [r[5] for r in reads(sessions)] == [message.fiscal_code, other]


def test_appio_notification_list_by_codice_fiscale_is_one_entry(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    send(operator, message)
    assert run("notification", "list").exit_code == 0
    listed = run("notification", "list", "--fiscal-code", message.fiscal_code, "--limit", "1")
    assert listed.exit_code == 0, listed.output
    assert [(r[0], r[1], r[4], r[5]) for r in reads(sessions)] == [
        (
            "appio-cli",
            "read.search",
            "Filtri: codice fiscale: vedi «Codice fiscale». 1 riga trovata.",
            message.fiscal_code,
        )
    ]


def test_a_search_among_a_flows_recipients_is_one_entry(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int]
) -> None:
    codes = fiscal_codes(3, seed=31)
    with session_scope(sessions) as session:
        flow_id = imported_flow(session, operator, services[TARI.name], codes).id
    at = app_as(operator, "pages/flusso.py", flow_id=flow_id)
    assert reads(sessions) == []
    at.text_input(key="cf_filter").input(codes[1]).run()
    at.run()
    assert reads(sessions) == [
        (
            "mrossi",
            "read.search",
            f"destinatari del flusso n. {flow_id}",
            "riuscito",
            f"Filtri: codice fiscale: vedi «Codice fiscale»; flusso: {flow_id}. 1 riga trovata.",
            codes[1],
        )
    ]


# ---- the citizen's profile on IO -----------------------------------------------------------

CHECK = "«Verifica destinatario»: "


@pytest.mark.parametrize(
    ("kind", "reachable", "said"),
    [
        (Kind.WITH_IO, True, "il cittadino usa App IO e accetta i messaggi del servizio."),
        (Kind.WITHOUT_IO, False, "il cittadino non usa App IO."),
        (Kind.BLOCKED, False, "il cittadino usa App IO ma ha disattivato i messaggi del servizio."),
    ],
)
def test_verifica_destinatario_is_one_entry_with_what_io_said(
    kind: Kind,
    reachable: bool,
    said: str,
    sessions: sessionmaker[Session],
    operator: Actor,
    services: dict[str, int],
    keybox: KeyBox,
) -> None:
    code = citizen(kind)
    found = check_recipient(
        sessions, operator, services[TARI.name], code.lower(), keybox, "simulator"
    )
    assert found.reachable is reachable
    assert reads(sessions) == [
        ("mrossi", "read.profile", f"servizio «{TARI.name}»", "riuscito", CHECK + said, code)
    ]


def test_a_refused_verifica_destinatario_is_recorded_as_refused(
    sessions: sessionmaker[Session],
    operator: Actor,
    viewer: Actor,
    services: dict[str, int],
    keybox: KeyBox,
) -> None:
    code = citizen(Kind.WITH_IO)
    tari = services[TARI.name]
    for actor, typed in ((viewer, code), (operator, "RSSMRA80A01H501X")):
        with pytest.raises(AppError):
            check_recipient(sessions, actor, tari, typed, keybox, "simulator")
    [by_viewer, wrong_code] = reads(sessions)
    assert by_viewer == (
        "lbianchi",
        "read.profile",
        f"servizio n. {tari}",
        "rifiutato",
        "«Verifica destinatario». Il tuo profilo è di sola consultazione: non puoi verificare"
        " i destinatari.",
        code,
    )
    assert (wrong_code[0], wrong_code[3], wrong_code[5]) == (
        "mrossi",
        "rifiutato",
        "RSSMRA80A01H501X",
    )


def test_appio_io_profile_is_one_entry_done_failed_or_refused(
    sessions: sessionmaker[Session], services: dict[str, int]
) -> None:
    code = citizen(Kind.WITH_IO)
    assert run("io", "profile", code, "--service", TARI.name).exit_code == 0
    limited = "Anagrafe - Carta d'identità"
    assert run("io", "profile", code, "--service", limited).exit_code == 1
    refused = run("--as", "lbianchi", "io", "profile", code, "--service", MENSA.name)
    assert refused.output == "Errore: Non sei abilitato a questo servizio.\n"
    done, failed, denied = reads(sessions)
    assert done == (
        "appio-cli",
        "read.profile",
        f"servizio «{TARI.name}»",
        "riuscito",
        "appio io profile: il cittadino usa App IO e accetta i messaggi del servizio.",
        code,
    )
    assert (failed[2], failed[3], failed[5]) == (f"servizio «{limited}»", "non riuscito", code)
    assert failed[4].startswith("appio io profile: verifica non riuscita: La chiave del servizio")
    assert code not in failed[4]
    assert (denied[0], denied[2], denied[3], denied[5]) == (
        "lbianchi",
        f"servizio «{MENSA.name}»",
        "rifiutato",
        code,
    )


# ---- the log's own filters -----------------------------------------------------------------


def test_the_reads_are_a_family_of_the_registro_with_italian_labels(
    sessions: sessionmaker[Session], operator: Actor, message: NewNotification, send: Send
) -> None:
    choices = action_choices()
    assert choices["read"] == "Consultazioni di dati personali (tutte)"
    assert [choices[a] for a in ("read.notification", "read.search", "read.profile")] == [
        "Dettaglio di una notifica aperto",
        "Ricerca per codice fiscale",
        "Verifica destinatario su IO",
    ]
    sent = send(operator, message)
    with session_scope(sessions) as session:
        get_detail(session, operator, sent.id)
        found = audit_search(session, Actor.system(), AuditFilters(action="read"))
    assert [(r.action, r.fiscal_code) for r in found.rows] == [
        ("read.notification", message.fiscal_code)
    ]
