"""Four eyes: a service's policy holds its flows at «Invia» until another operator approves
them; the author never decides, an administrator only on a service with one operator, and
a change takes the request away."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.operators import create_operator, get_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import enable_operator, set_approval_policy
from appio_core.audit.models import AuditEntry
from appio_core.domain import ApprovalPolicy, FlowState, Outcome, Role
from appio_core.errors import Conflict, InvalidInput, PermissionDenied
from appio_core.flows import actions, approval, editing, importing, queries
from appio_core.flows.editing import FlowChanges
from appio_core.io.simulator.app import SimulatorApp
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Flow, utcnow

from .conftest import (
    assert_sent_exactly_once,
    expected_outcomes,
    fiscal_codes,
    imported_flow,
    recipient_csv,
)

TARI = "Tributi - TARI"


@pytest.fixture
def people(session: Session, demo: dict[str, int]) -> dict[str, Actor]:
    """mrossi (the demo's operator on TARI), gverdi (a second one), the administrator."""
    system = Actor.system()
    create_operator(session, system, "gverdi", "seconda-coppia-di-occhi", Role.OPERATOR)
    enable_operator(session, system, TARI, "gverdi")
    session.commit()
    return {name: Actor.of(get_operator(session, name)) for name in ("mrossi", "gverdi", "admin")}


def _policy(
    session: Session, service_id: int, policy: ApprovalPolicy, threshold: int | None = None
) -> None:
    set_approval_policy(session, Actor.system(), service_id, policy, threshold)


def _sent(session: Session, actor: Actor, service_id: int, count: int, seed: int = 1) -> Flow:
    """A flow imported by `actor`, activated, and «Invia» pressed."""
    flow = imported_flow(session, actor, service_id, fiscal_codes(count, seed=seed))
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    return flow


def _audit(session: Session, action: str) -> AuditEntry:
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    )
    assert entry is not None
    return entry


@pytest.mark.parametrize(
    ("policy", "threshold", "recipients", "held"),
    [
        (ApprovalPolicy.OFF, None, 5, False),
        (ApprovalPolicy.ALWAYS, None, 1, True),
        (ApprovalPolicy.ABOVE, 5, 5, False),
        (ApprovalPolicy.ABOVE, 5, 6, True),
    ],
)
def test_invia_waits_for_approval_exactly_where_the_services_policy_says(
    session: Session,
    people: dict[str, Actor],
    demo: dict[str, int],
    policy: ApprovalPolicy,
    threshold: int | None,
    recipients: int,
    held: bool,
) -> None:
    _policy(session, demo[TARI], policy, threshold)
    flow = _sent(session, people["mrossi"], demo[TARI], recipients)
    if held:
        assert flow.state == FlowState.AWAITING_APPROVAL
        assert flow.approval_requested_by == "mrossi"
        assert flow.started_at is None
        assert "Il servizio richiede l'approvazione" in _audit(session, "flow.send").detail
    else:
        assert flow.state == FlowState.SENDING


def test_the_author_can_never_approve_and_another_operator_starts_the_send(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = _sent(session, people["mrossi"], demo[TARI], 3)
    session.commit()
    with pytest.raises(PermissionDenied, match="Non puoi approvare un flusso preparato"):
        actions.approve(session, people["mrossi"], flow.id)
    session.rollback()
    assert _audit(session, "flow.approve").outcome == "rifiutato"
    actions.approve(session, people["gverdi"], flow.id, note="Controllato.")
    assert flow.state == FlowState.SENDING
    assert (flow.approved_by, flow.approval_note) == ("gverdi", "Controllato.")
    assert flow.started_at is not None
    entry = _audit(session, "flow.approve")
    assert entry.operator == "gverdi"
    assert entry.detail == (
        "Richiesto da mrossi. Stato: da «In attesa di approvazione» a «In invio»."
        " Nota: «Controllato.»."
    )


def test_who_sent_another_operators_flow_cannot_approve_it_either(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = imported_flow(session, people["mrossi"], demo[TARI], fiscal_codes(2))
    actions.activate(session, people["gverdi"], flow.id)
    actions.send(session, people["gverdi"], flow.id)
    for author in ("mrossi", "gverdi"):
        with pytest.raises(PermissionDenied), session.begin_nested():
            actions.approve(session, people[author], flow.id)


def test_an_administrator_approves_only_where_the_service_has_a_single_operator(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    mensa = demo["Servizi scolastici - Mensa"]  # mrossi alone
    for service_id in (demo[TARI], mensa):
        _policy(session, service_id, ApprovalPolicy.ALWAYS)
    two = _sent(session, people["mrossi"], demo[TARI], 2, seed=1)
    one = _sent(session, people["mrossi"], mensa, 2, seed=2)
    session.commit()
    with pytest.raises(PermissionDenied) as refused:
        actions.approve(session, people["admin"], two.id)
    assert refused.value.message == (
        "Il servizio ha 2 operatori (gverdi, mrossi): deve approvare uno di loro, non un"
        " amministratore."
    )
    session.rollback()
    actions.approve(session, people["admin"], one.id)
    assert one.state == FlowState.SENDING
    assert _audit(session, "flow.approve").detail.startswith(
        "Deciso da un amministratore: il servizio ha un solo operatore (mrossi)."
        " Richiesto da mrossi."
    )


def test_respingi_needs_a_note_and_brings_the_flow_back_with_it_for_the_author(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = _sent(session, people["mrossi"], demo[TARI], 2)
    session.commit()
    with pytest.raises(InvalidInput, match="Scrivi una nota per l'autore"):
        actions.reject(session, people["gverdi"], flow.id, note="  ")
    session.rollback()
    assert flow.state == FlowState.AWAITING_APPROVAL
    actions.reject(session, people["gverdi"], flow.id, note="La data di scadenza è sbagliata.")
    view = queries.get_flow(session, people["mrossi"], flow.id)
    assert view.state == FlowState.INACTIVE
    assert view.approval_note is not None
    assert view.approval_note.startswith("Respinto da gverdi il ")
    assert view.approval_note.endswith(": La data di scadenza è sbagliata.")
    assert "Nota: «La data di scadenza è sbagliata.»." in _audit(session, "flow.reject").detail
    # The author fixes it and asks again: the note of the rejection goes.
    actions.activate(session, people["mrossi"], flow.id)
    actions.send(session, people["mrossi"], flow.id)
    assert (flow.state, flow.approval_note) == (FlowState.AWAITING_APPROVAL, None)


def test_a_change_while_it_waits_takes_the_request_away(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    author = people["mrossi"]
    edited = _sent(session, author, demo[TARI], 2, seed=1)
    editing.edit_flow(session, author, edited.id, FlowChanges(subject_template="Nuovo {{nome}}"))
    assert edited.state == FlowState.INACTIVE
    assert edited.approval_requested_by is None
    assert edited.approval_note is not None
    assert "il flusso è stato cambiato da mrossi" in edited.approval_note
    assert _audit(session, "flow.edit").detail == (
        "Cambiati: modello dell'oggetto. La richiesta di approvazione è ritirata: il flusso"
        " torna «Inattivo»."
    )
    replaced = _sent(session, author, demo[TARI], 2, seed=2)
    importing.replace_recipients(
        session, people["gverdi"], replaced.id, recipient_csv(fiscal_codes(3, seed=3)), "n.csv"
    )
    assert replaced.state == FlowState.INACTIVE
    assert "il file dei destinatari è stato cambiato da gverdi" in str(replaced.approval_note)
    assert "La richiesta di approvazione è ritirata" in _audit(session, "flow.replace-file").detail
    # A save that changes nothing keeps the request.
    kept = _sent(session, author, demo[TARI], 2, seed=4)
    editing.edit_flow(session, author, kept.id, FlowChanges(name=kept.name))
    assert kept.state == FlowState.AWAITING_APPROVAL
    # The author withdraws it himself.
    actions.deactivate(session, author, kept.id)
    assert kept.state == FlowState.INACTIVE
    assert kept.approval_note == "Richiesta di approvazione ritirata da mrossi."


def test_da_approvare_lists_the_waiting_flows_and_counts_only_those_one_may_decide(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = _sent(session, people["mrossi"], demo[TARI], 2)
    _sent(session, people["mrossi"], demo["Servizi scolastici - Mensa"], 2, seed=2)  # off
    [mine] = approval.awaiting_approval(session, people["mrossi"])
    assert (mine.view.id, mine.may_decide) == (flow.id, False)
    assert mine.why_not.startswith("Non puoi approvare un flusso preparato o inviato da te")
    [theirs] = approval.awaiting_approval(session, people["gverdi"])
    assert theirs.may_decide and theirs.view.approval_requested_by == "mrossi"
    assert approval.count_to_approve(session, people["mrossi"]) == 0
    assert approval.count_to_approve(session, people["gverdi"]) == 1
    assert approval.count_to_approve(session, people["admin"]) == 0  # two operators on TARI
    viewer = Actor.of(get_operator(session, "lbianchi"))
    assert approval.count_to_approve(session, viewer) == 0
    assert not approval.awaiting_approval(session, viewer)[0].may_decide


def test_the_review_shows_the_file_its_checksum_its_report_and_any_row(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    codes = fiscal_codes(4, seed=9)
    flow = _sent(session, people["mrossi"], demo[TARI], 4, seed=9)
    seen = approval.review(session, people["gverdi"], flow.id)
    assert seen.checksum == hashlib.sha256(recipient_csv(codes)).hexdigest()
    assert seen.view.source_filename == "destinatari.csv"
    assert seen.view.approval_requested_by == "mrossi"
    assert seen.view.progress.waiting == 4
    assert (seen.first_row, seen.last_row, seen.may_decide) == (2, 5, True)
    assert seen.report is not None
    assert seen.report.summary == "4 righe, tutte corrette."
    assert seen.report.columns[0].startswith("codice_fiscale")
    row = approval.row_message(session, people["gverdi"], flow.id, 3)
    assert row.fiscal_code == codes[1]
    assert row.subject == "Avviso per Cittadino 1"
    assert row.markdown.startswith("Gentile Cittadino 1, ")


def test_the_policy_needs_a_threshold_above_and_its_change_is_in_the_audit_log(
    session: Session, demo: dict[str, int]
) -> None:
    system = Actor.system()
    with pytest.raises(InvalidInput, match="oltre quanti destinatari"):
        set_approval_policy(session, system, demo[TARI], ApprovalPolicy.ABOVE, None)
    session.rollback()
    service = set_approval_policy(session, system, demo[TARI], ApprovalPolicy.ABOVE, 1500)
    assert (service.approval_policy, service.approval_threshold) == (ApprovalPolicy.ABOVE, 1500)
    assert _audit(session, "service.approval").detail == (
        "Approvazione dei flussi: da «non richiesta» a «per i flussi con più di 1.500 destinatari»."
    )
    service = set_approval_policy(session, system, demo[TARI], ApprovalPolicy.ALWAYS, 7)
    assert service.approval_threshold is None


def test_a_waiting_flow_is_not_sent_and_an_approved_one_is_sent_once(
    session: Session,
    people: dict[str, Actor],
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    codes = fiscal_codes(20, seed=11)
    flow = _sent(session, people["mrossi"], demo[TARI], 20, seed=11)
    session.commit()
    asyncio.run(make_dispatcher(status_first_check=3600.0).run(once=True))
    session.expire_all()
    assert queries.get_flow(session, people["mrossi"], flow.id).counts == {Outcome.PENDING: 20}
    assert simulator.record.sends_by_fiscal_code() == {}
    actions.approve(session, people["gverdi"], flow.id)
    session.commit()
    asyncio.run(make_dispatcher(status_first_check=3600.0).run(once=True))
    session.expire_all()
    rows = queries.list_recipients(session, people["mrossi"], flow.id)
    assert {r.fiscal_code: r.outcome for r in rows} == expected_outcomes(simulator, codes)
    assert_sent_exactly_once(simulator.record, rows)


def test_an_approved_flow_with_a_start_time_waits_for_it(
    session: Session,
    people: dict[str, Actor],
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = imported_flow(session, people["mrossi"], demo[TARI], fiscal_codes(3, seed=12))
    flow.scheduled_at = utcnow() + timedelta(days=1)
    actions.activate(session, people["mrossi"], flow.id)
    actions.send(session, people["mrossi"], flow.id)
    actions.approve(session, people["gverdi"], flow.id)
    session.commit()
    asyncio.run(make_dispatcher(status_first_check=3600.0).run(once=True))
    session.expire_all()
    view = queries.get_flow(session, people["mrossi"], flow.id)
    assert (view.state, view.counts) == (FlowState.SENDING, {Outcome.PENDING: 3})


def test_a_waiting_flow_can_be_cancelled_but_not_paused(
    session: Session, people: dict[str, Actor], demo: dict[str, int]
) -> None:
    _policy(session, demo[TARI], ApprovalPolicy.ALWAYS)
    flow = _sent(session, people["mrossi"], demo[TARI], 2)
    with pytest.raises(Conflict, match="«In attesa di approvazione»: «Sospendi» è possibile"):
        actions.pause(session, people["mrossi"], flow.id)
    actions.cancel(session, people["mrossi"], flow.id)
    assert flow.state == FlowState.CANCELLED
