"""Each family of actions is in the audit log, done or refused, with who, what, on what and
how it ended; and no entry ever holds a key, a password or a message's text."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.audit_log import AuditFilters
from appio_core.accounts.io_import import import_services
from appio_core.accounts.key_regeneration import regenerate_keys
from appio_core.accounts.manage_key import set_manage_key
from appio_core.accounts.operators import (
    authenticate,
    change_own_password,
    create_operator,
    get_operator,
    logout,
    reset_password,
    set_active,
    set_email,
    set_role,
)
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import (
    ServiceInput,
    create_service,
    enable_operator,
    rotate_keys,
    set_account_rate_limit,
    set_approval_policy,
    set_enabled_operators,
    update_service,
)
from appio_core.audit import AuditAction
from appio_core.demo.accounts import DEMO_ACCOUNT, DEMO_SERVICES
from appio_core.domain import ApprovalPolicy, FlowState, Outcome, Role
from appio_core.errors import AppError, PermissionDenied
from appio_core.exports.stats import write_stats
from appio_core.exports.workbooks import (
    write_audit,
    write_flow_recipients,
    write_flows,
    write_notifications,
)
from appio_core.flows import actions, correction, editing, importing
from appio_core.flows.queries import FlowFilters
from appio_core.flows.registry import FLOW_ACTIONS
from appio_core.integrations.keys import (
    NewIntegration,
    Unauthorized,
    authenticate_key,
    create_integration,
    require_scope,
    revoke_integration,
)
from appio_core.integrations.scopes import Scope
from appio_core.io.client import SIMULATOR_API_URL
from appio_core.io.manage import ManageClient
from appio_core.io.simulator import Kind, create_app, demo_config
from appio_core.io.simulator.demo import DEMO_IO_ONLY_SERVICES, DEMO_MANAGE_KEY
from appio_core.italian import local_today
from appio_core.notifications import corrections, single
from appio_core.notifications.archive import NotificationFilters, search
from appio_core.notifications.detail import get_detail
from appio_core.notifications.recipient_check import check_recipient
from appio_core.notifications.retention import Retention, run_purge
from appio_core.notifications.single import NewNotification, SingleResult
from appio_core.notifications.stats.figures import Period, StatsFilters
from appio_core.storage.db import session_scope
from appio_core.storage.models import Flow, Notification, Service, utcnow
from appio_core.templates import store as template_store
from appio_core.webhooks.log import redeliver
from appio_core.webhooks.models import DeliveryState, EventType, WebhookEvent

from ..flows.conftest import TEXT as FLOW_TEXT
from ..flows.conftest import fiscal_codes, recipient_csv
from ..notifications.conftest import TARI, TEXT, citizen
from .conftest import Log, Logged, only

Send = Callable[..., SingleResult]
NEW_KEY = "nuova-chiave-primaria-segreta-0042"
PASSWORD = "password-segreta-77"
NEW_PASSWORD = "reimpostata-da-capo-11"
NEWER_PASSWORD = "scelta-da-lui-stesso-12"


def _admin(sessions: sessionmaker[Session]) -> Actor:
    with sessions() as session:
        return Actor.of(get_operator(session, "admin"), "203.0.113.9")


def _refused(call: Callable[[], object]) -> None:
    with pytest.raises(AppError):
        call()


def _outcomes(entries: list[Logged]) -> list[tuple[str, str, str]]:
    return [(e.operator, e.action, e.outcome) for e in entries]


def _import(
    sessions: sessionmaker[Session], actor: Actor, service_id: int, name: str, codes: list[str]
) -> int:
    with session_scope(sessions) as session:
        flow = importing.import_flow(
            session,
            actor,
            service_id=service_id,
            name=name,
            natura="Comunicazione",
            source=recipient_csv(codes),
            filename="tari.csv",
            templates=importing.Templates("Avviso TARI 2026", FLOW_TEXT),
        )
        return flow.id


def _in(sessions: sessionmaker[Session], call: Callable[[Session], object]) -> None:
    with session_scope(sessions) as session:
        call(session)


def test_operators_changes_and_refusals(
    services: dict[str, int], sessions: sessionmaker[Session], operator: Actor, log: Log
) -> None:
    admin = _admin(sessions)
    _in(sessions, lambda s: create_operator(s, admin, "gverdi", PASSWORD, Role.VIEWER))
    _in(sessions, lambda s: set_role(s, admin, "gverdi", Role.OPERATOR))
    _in(sessions, lambda s: set_active(s, admin, "gverdi", False))
    _in(sessions, lambda s: set_active(s, admin, "gverdi", True))
    _refused(lambda: _in(sessions, lambda s: set_active(s, operator, "gverdi", False)))
    _refused(lambda: _in(sessions, lambda s: set_active(s, admin, "admin", False)))
    entries = [e for e in log() if e.target == "operatore «gverdi»" or e.operator != "appio-cli"]
    assert [(e.operator, e.action, e.outcome, e.detail) for e in entries] == [
        ("admin", "operator.create", "riuscito", "Ruolo: Consultazione."),
        ("admin", "operator.role", "riuscito", "Da Consultazione a Operatore."),
        ("admin", "operator.deactivate", "riuscito", ""),
        ("admin", "operator.activate", "riuscito", ""),
        (
            "mrossi",
            "operator.deactivate",
            "rifiutato",
            "Solo un amministratore può eseguire questa operazione.",
        ),
        (
            "admin",
            "operator.deactivate",
            "rifiutato",
            "Non puoi disattivare te stesso: chiedi a un altro amministratore.",
        ),
    ]
    assert {e.origin for e in entries if e.operator == "admin"} == {"203.0.113.9"}
    assert all(PASSWORD not in e.text for e in log())


def test_services_keys_and_enablements(
    services: dict[str, int], sessions: sessionmaker[Session], keybox: KeyBox, log: Log
) -> None:
    admin = _admin(sessions)
    data = ServiceInput("Polizia locale", "01JPOLIZIA", NEW_KEY, "seconda-chiave-segreta-0043")
    created = ServiceInput("Polizia locale", "01JPOLIZIA")
    _in(sessions, lambda s: create_service(s, admin, data, keybox))
    service_id = max(services.values()) + 1
    _in(sessions, lambda s: update_service(s, admin, service_id, created, keybox))  # no change
    renamed = replace(created, name="Polizia municipale", primary_key=NEW_KEY + "x")
    _in(sessions, lambda s: update_service(s, admin, service_id, renamed, keybox))
    _in(sessions, lambda s: set_enabled_operators(s, admin, service_id, ["mrossi", "lbianchi"]))
    _in(sessions, lambda s: set_enabled_operators(s, admin, service_id, ["mrossi", "lbianchi"]))
    _in(sessions, lambda s: set_enabled_operators(s, admin, service_id, ["lbianchi"]))
    _in(sessions, lambda s: enable_operator(s, admin, "Polizia municipale", "mrossi"))
    _in(sessions, lambda s: set_account_rate_limit(s, admin, DEMO_ACCOUNT, 250, 5))
    entries = [e for e in log() if e.operator == "admin"]
    assert [(e.action, e.target, e.detail) for e in entries] == [
        (
            "service.create",
            "servizio «Polizia locale»",
            "ID servizio IO 01JPOLIZIA; account IO «principale»; attivo. Chiavi primaria e"
            " secondaria impostate.",
        ),
        (
            "service.update",
            "servizio «Polizia municipale» (prima «Polizia locale»)",
            "Modificati: nome.",
        ),
        ("service.keys", "servizio «Polizia municipale»", "Chiave primaria sostituita."),
        ("service.operators", "servizio «Polizia municipale»", "Abilitati: lbianchi, mrossi."),
        ("service.operators", "servizio «Polizia municipale»", "Non più abilitati: mrossi."),
        ("service.operators", "servizio «Polizia municipale»", "Abilitati: mrossi."),
        (
            "service.account",
            f"account IO «{DEMO_ACCOUNT}»",
            "Da 0 richieste ogni 5 s a 250 richieste ogni 5 s.",
        ),
    ]
    for entry in log():
        for key in (
            NEW_KEY,
            "seconda-chiave-segreta-0043",
            *(d.primary_key for d in DEMO_SERVICES),
        ):
            assert key not in entry.text and key[-4:] not in entry.detail


def test_every_flow_action_is_recorded_by_the_registry(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    viewer: Actor,
    log: Log,
) -> None:
    codes = fiscal_codes(3)
    flow_id = _import(sessions, operator, services[TARI.name], "TARI 2026", codes)
    run = lambda name, **kw: _in(  # noqa: E731
        sessions, lambda s: actions.perform(s, operator, actions.BY_NAME[name], flow_id, **kw)
    )
    for name in ("activate", "deactivate", "activate", "send", "pause", "resume"):
        run(name)
    with session_scope(sessions) as session:
        rows = list(session.query(Notification.id).filter(Notification.flow_id == flow_id))
        first, second, _third = (r.id for r in rows)
        session.execute(
            update(Notification)
            .where(Notification.id.in_([first, second]))
            .values(outcome=Outcome.UNCERTAIN)
        )
    run("resend_uncertain", recipient_ids=[first])
    run("mark_uncertain_sent", recipient_ids=[second])
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.flow_id == flow_id)
            .values(outcome=Outcome.ERROR, retryable=True)
        )
        session.execute(update(Flow).where(Flow.id == flow_id).values(state=FlowState.INCOMPLETE))
    run("retry_failed")
    run("cancel")
    _refused(lambda: run("pause"))
    _refused(
        lambda: _in(
            sessions, lambda s: actions.perform(s, viewer, actions.BY_NAME["activate"], flow_id)
        )
    )
    other = _import(sessions, operator, services[TARI.name], "Bozza", codes[:1])
    _in(
        sessions,
        lambda s: importing.replace_recipients(
            s,
            operator,
            other,
            recipient_csv(codes),
            "nuovo.csv",
            importing.Templates("Avviso TARI 2026", FLOW_TEXT),
        ),
    )
    # Four eyes: «Invia» held by the service's policy, «Respingi», then «Approva», by the
    # installation (an administrator: TARI has one operator).
    held = _import(sessions, operator, services[TARI.name], "Da approvare", fiscal_codes(2, 7))
    _in(
        sessions,
        lambda s: set_approval_policy(
            s, Actor.system(), services[TARI.name], ApprovalPolicy.ALWAYS
        ),
    )
    for name, who, note in (
        ("activate", operator, ""),
        ("send", operator, ""),
        ("reject", Actor.system(), "Da rifare."),
        ("activate", operator, ""),
        ("send", operator, ""),
        ("approve", Actor.system(), ""),
    ):
        _in(
            sessions,
            lambda s, n=name, w=who, t=note: actions.perform(  # type: ignore[misc]
                s, w, actions.BY_NAME[n], held, note=t
            ),
        )
    _refused(lambda: _import(sessions, operator, services[TARI.name], "Rotto", ["NONVALIDO"]))

    flows = [e for e in log() if e.action.startswith("flow.")]
    assert {e.action for e in flows} == {f"flow.{a.command}" for a in FLOW_ACTIONS} | {
        "flow.import",
        "flow.replace-file",
    }
    target = f"flusso n. {flow_id} «TARI 2026»"
    by_action = {e.action: e for e in flows if e.target == target and e.outcome == "riuscito"}
    assert by_action["flow.import"].detail == (
        "Servizio «Tributi - TARI»; natura Comunicazione; file «tari.csv»: 3 destinatari."
    )
    assert by_action["flow.send"].detail == "Stato: da «Attivo» a «In invio»."
    assert (
        by_action["flow.resend-uncertain"].detail
        == f"Destinatari scelti: n. {first}. 1 destinatario."
    )
    assert by_action["flow.retry-failed"].detail == (
        "3 destinatari. Stato: da «Invio incompleto» a «In invio»."
    )
    refusals = [(e.operator, e.action, e.target) for e in flows if e.outcome == "rifiutato"]
    assert refusals == [
        ("mrossi", "flow.pause", target),
        ("lbianchi", "flow.activate", target),
        ("mrossi", "flow.import", "nuovo flusso «Rotto»"),
    ]
    assert "«Pausa»" not in flows[-1].detail
    decided = {e.action: e.detail for e in flows if e.target == f"flusso n. {held} «Da approvare»"}
    assert decided["flow.reject"] == (
        "Deciso da un amministratore: il servizio ha un solo operatore (mrossi). Richiesto da"
        " mrossi. Stato: da «In attesa di approvazione» a «Inattivo». Nota: «Da rifare.»."
    )
    assert decided["flow.approve"] == (
        "Deciso da un amministratore: il servizio ha un solo operatore (mrossi). Richiesto da"
        " mrossi. Stato: da «In attesa di approvazione» a «In invio»."
    )
    replaced = only(flows, "flow.replace-file")[0]
    assert replaced.detail == "File «nuovo.csv»: 3 destinatari (prima 1)."
    for entry in log():
        assert "Cittadino" not in entry.text  # the file's other column
        assert not any(code in entry.text for code in codes)


def test_single_sends_with_their_outcome(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    viewer: Actor,
    message: NewNotification,
    send: Send,
    log: Log,
) -> None:
    sent = send(operator, message)
    not_on_io = send(operator, message, fiscal_code=citizen(Kind.WITHOUT_IO))
    _refused(lambda: send(viewer, message))
    _refused(lambda: send(operator, message, subject="Breve"))
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == sent.id)
            .values(outcome=Outcome.UNCERTAIN, io_message_id=None)
        )
    again = single.resend(sessions, operator, sent.id, keybox, "simulator")
    with session_scope(sessions) as session:
        session.execute(
            update(Notification).where(Notification.id == sent.id).values(outcome=Outcome.UNCERTAIN)
        )
    _in(sessions, lambda s: single.mark_sent(s, operator, sent.id))
    entries = [e for e in log() if e.action.startswith("notification.")]
    assert [(e.operator, e.action, e.target, e.outcome) for e in entries] == [
        ("mrossi", "notification.send", f"notifica n. {sent.id}", "riuscito"),
        ("mrossi", "notification.send", f"notifica n. {not_on_io.id}", "non riuscito"),
        ("lbianchi", "notification.send", "nuova notifica singola", "rifiutato"),
        ("mrossi", "notification.send", "nuova notifica singola", "rifiutato"),
        ("mrossi", "notification.resend", f"notifica n. {sent.id}", "riuscito"),
        ("mrossi", "notification.mark-sent", f"notifica n. {sent.id}", "riuscito"),
    ]
    assert entries[0].detail == (
        f"Servizio «{TARI.name}». Esito: accettato. ID messaggio IO {sent.io_message_id}."
    )
    assert entries[1].detail == f"Servizio «{TARI.name}». Esito: non su IO."
    assert entries[3].detail.startswith("Correggi i campi indicati: Oggetto:")
    assert again.io_message_id and again.io_message_id in entries[4].detail
    for entry in log():
        assert TEXT not in entry.text and message.subject not in entry.text
        assert message.fiscal_code not in entry.text


def test_exports_with_their_filter_and_row_count(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    operator: Actor,
    viewer: Actor,
    message: NewNotification,
    send: Send,
    log: Log,
) -> None:
    send(operator, message)
    flow_id = _import(sessions, operator, services[TARI.name], "TARI 2026", fiscal_codes(2))
    admin = _admin(sessions)
    buffer = io.BytesIO()
    chosen = NotificationFilters(fiscal_code=message.fiscal_code)
    _in(sessions, lambda s: write_notifications(s, operator, chosen, buffer))
    _in(sessions, lambda s: write_flows(s, operator, FlowFilters(text="TARI"), buffer))
    _in(sessions, lambda s: write_flow_recipients(s, viewer, flow_id, buffer))
    _in(sessions, lambda s: write_audit(s, admin, AuditFilters(action="flow"), buffer))
    _refused(lambda: _in(sessions, lambda s: write_audit(s, operator, AuditFilters(), buffer)))
    month = Period.month_of(local_today())
    _in(sessions, lambda s: write_stats(s, viewer, StatsFilters(month), buffer))
    entries = [e for e in log() if e.action.startswith("export.")]
    assert [(e.operator, e.action, e.target, e.outcome, e.detail) for e in entries] == [
        (
            "mrossi",
            "export.notifications",
            "archivio delle notifiche",
            "riuscito",
            # The code in the entry's own column, where the purge finds it.
            "Filtri: codice fiscale: vedi «Codice fiscale». 1 riga.",
        ),
        (
            "mrossi",
            "export.flows",
            "archivio dei flussi",
            "riuscito",
            "Filtri: testo: TARI. 1 riga.",
        ),
        (
            "lbianchi",
            "export.flow-recipients",
            f"flusso n. {flow_id} «TARI 2026»",
            "riuscito",
            "2 righe.",
        ),
        (
            "admin",
            "export.audit",
            "registro attività",
            "riuscito",
            "Filtri: azione: Flussi (tutte). 1 riga.",
        ),
        (
            "mrossi",
            "export.audit",
            "registro attività",
            "rifiutato",
            "Filtri: nessun filtro. Solo un amministratore può consultare il registro attività.",
        ),
        (
            "lbianchi",
            "export.stats",
            "cruscotto",
            "riuscito",
            f"Periodo {month.describe()}; i servizi abilitati per te; per servizio. 1 gruppo.",
        ),
    ]
    assert [e.fiscal_code for e in entries] == [message.fiscal_code, None, None, None, None, None]


def _import_and_regenerate(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox
) -> list[str]:
    """«Importa da IO» and «Rigenera chiavi» on a simulator of their own (the in-process
    one's keys stay as the other tests expect them); the keys IO gave the service."""
    simulator = create_app(demo_config(rate_limit=False))
    polizia = DEMO_IO_ONLY_SERVICES[0]

    async def run() -> None:
        transport = httpx.ASGITransport(app=simulator)
        manage = ManageClient(SIMULATOR_API_URL, httpx.AsyncClient(transport=transport))
        with session_scope(sessions) as session:
            await import_services(session, admin, keybox, manage, [polizia.io_service_id])
            imported = session.scalar(select(Service.id).where(Service.name == polizia.name))
        assert imported is not None
        await regenerate_keys(sessions, admin, imported, keybox, manage)
        await manage.aclose()

    asyncio.run(run())
    return list(simulator.gateway.keys_of(polizia.io_service_id).values())


def test_a_days_work_records_every_action_and_never_a_secret_or_a_text(
    services: dict[str, int],
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    operator: Actor,
    message: NewNotification,
    send: Send,
    log: Log,
) -> None:
    """Every action of AuditAction, each at least once; then the whole table is searched
    for the keys, the passwords and the texts the day used."""
    admin = _admin(sessions)
    with session_scope(sessions) as session:
        authenticate(session, "admin", "demo-amministra-2026")
        authenticate(session, "admin", PASSWORD)
        logout(session, admin)
        create_operator(session, admin, "gverdi", PASSWORD, Role.VIEWER)
        set_role(session, admin, "gverdi", Role.OPERATOR)
        set_active(session, admin, "gverdi", False)
        set_active(session, admin, "gverdi", True)
        reset_password(session, admin, "gverdi", NEW_PASSWORD)
        set_email(session, admin, "gverdi", "g.verdi@comune.example.it")
        gverdi = Actor.of(get_operator(session, "gverdi"))
        change_own_password(session, gverdi, NEW_PASSWORD, NEWER_PASSWORD)
        data = ServiceInput("Polizia locale", "01JPOLIZIA", NEW_KEY)
        created = create_service(session, admin, data, keybox)
        update_service(session, admin, created.id, replace(data, name="Polizia municipale"), keybox)
        set_enabled_operators(session, admin, created.id, ["gverdi"])
        set_account_rate_limit(session, admin, DEMO_ACCOUNT, 0, 5)
        set_approval_policy(session, admin, created.id, ApprovalPolicy.ABOVE, 100)
        rotate_keys(session, admin, keybox)
        set_manage_key(session, admin, DEMO_MANAGE_KEY, keybox)
    new_keys = _import_and_regenerate(sessions, admin, keybox)
    codes = fiscal_codes(2)
    flow_id = _import(sessions, operator, services[TARI.name], "TARI 2026", codes)
    other = _import(sessions, operator, services[TARI.name], "Bozza", codes)
    with session_scope(sessions) as session:
        importing.replace_recipients(
            session,
            operator,
            other,
            recipient_csv(codes),
            "f.csv",
            importing.Templates("Avviso TARI 2026", FLOW_TEXT),
        )
        editing.edit_flow(session, operator, other, editing.FlowChanges(name="Bozza 2"))
        saved = template_store.flow_as_template(session, operator, other, "Modello TARI")
        changed = replace(saved.fields, natura="Promemoria scadenza")
        template_store.edit_template(session, operator, saved.template_id, changed)
        ids = [r.id for r in session.query(Notification.id).filter(Notification.flow_id == flow_id)]
    for action in FLOW_ACTIONS:
        with session_scope(sessions) as session:
            flow = session.get(Flow, flow_id)
            assert flow is not None
            start = next(iter(action.moves))
            flow.state = start
            session.execute(
                update(Notification)
                .where(Notification.flow_id == flow_id)
                .values(
                    outcome=Outcome.UNCERTAIN if action.on_recipients else Outcome.ERROR,
                    retryable=True,
                )
            )
        # «Approva» and «Respingi» are never the author's: the administrator decides (TARI
        # has one operator).
        who = admin if action.in_review else operator
        with session_scope(sessions) as session:
            actions.perform(session, who, action, flow_id, recipient_ids=ids, note="Vista.")
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.flow_id == flow_id)
            .values(outcome=Outcome.ACCEPTED)
        )
        flow = session.get(Flow, flow_id)
        assert flow is not None
        flow.state = FlowState.SENT
        correction.correct_flow(session, operator, flow_id, text_template=FLOW_TEXT)
    sent = send(operator, message)
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == sent.id)
            .values(outcome=Outcome.UNCERTAIN, io_message_id=None)
        )
    single.resend(sessions, operator, sent.id, keybox, "simulator")
    with session_scope(sessions) as session:
        session.execute(
            update(Notification).where(Notification.id == sent.id).values(outcome=Outcome.UNCERTAIN)
        )
        single.mark_sent(session, operator, sent.id)
    corrections.correct_notification(
        sessions,
        operator,
        sent.id,
        subject="Rettifica: " + message.subject,
        text=TEXT + " Correzione.",
        box=keybox,
        base_url="simulator",
    )
    with session_scope(sessions) as session:
        get_detail(session, operator, sent.id)
        search(session, operator, NotificationFilters(fiscal_code=message.fiscal_code))
    check_recipient(
        sessions, operator, services[TARI.name], message.fiscal_code, keybox, "simulator"
    )
    with session_scope(sessions) as session:
        buffer = io.BytesIO()
        write_notifications(session, admin, NotificationFilters(), buffer)
        write_flows(session, admin, FlowFilters(), buffer)
        write_flow_recipients(session, admin, flow_id, buffer)
        write_audit(session, admin, AuditFilters(), buffer)
        write_stats(session, admin, StatsFilters(Period.month_of(local_today())), buffer)
    with session_scope(sessions) as session:
        made = create_integration(
            session,
            admin,
            NewIntegration(
                "Tributi",
                (services[TARI.name],),
                frozenset({Scope.READ_FLOWS}),
                "https://tributi.example/io-flussi",
            ),
            keybox,
        )
    with session_scope(sessions) as session, pytest.raises(Unauthorized):
        authenticate_key(session, made.key + "x", "GET /api/v1/services")
    with session_scope(sessions) as session, pytest.raises(PermissionDenied):
        caller = authenticate_key(session, made.key, "POST /api/v1/notifications")
        require_scope(session, caller, Scope.SEND_NOTIFICATIONS, "POST /api/v1/notifications")
    with session_scope(sessions) as session:
        session.add(
            WebhookEvent(
                integration_id=made.id,
                event_id="msg_" + "b" * 32,
                type=EventType.ACCEPTED,
                subject_id=1,
                data="{}",
                created_at=utcnow(),
                state=DeliveryState.FAILED,
                attempts=18,
            )
        )
    with session_scope(sessions) as session:
        redeliver(session, admin, "msg_" + "b" * 32)
    with session_scope(sessions) as session:
        revoke_integration(session, admin, "Tributi")
    later = lambda: utcnow() + timedelta(days=400)  # noqa: E731
    run_purge(sessions, admin, Retention(30, "chiave-di-prova"), later)

    entries = log()
    assert {e.action for e in entries} == {a.value for a in AuditAction}
    secrets = [
        NEW_KEY,
        PASSWORD,
        NEW_PASSWORD,
        NEWER_PASSWORD,
        "demo-amministra-2026",
        *(d.primary_key for d in DEMO_SERVICES),
        *(d.secondary_key for d in DEMO_SERVICES),
        DEMO_MANAGE_KEY,
        *(d.primary_key for d in DEMO_IO_ONLY_SERVICES),
        *(d.secondary_key for d in DEMO_IO_ONLY_SERVICES),
        *new_keys,
        TEXT,
        message.subject,
        "Correzione.",
        FLOW_TEXT.split(",")[1].strip(),  # the flow's text, as sent
        "Cittadino 0",  # a value of the file's other column
    ]
    for entry in entries:
        for secret in secrets:
            assert secret not in entry.text, (secret, entry)
