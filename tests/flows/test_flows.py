"""Flow lifecycle: the transition table, import all-or-nothing, guards and permissions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import enable_operator
from appio_core.domain import FlowState, Outcome, Role
from appio_core.errors import Conflict, InvalidInput, PermissionDenied
from appio_core.flows import actions, importing, queries
from appio_core.flows.confirmations import SameFileSentToday
from appio_core.flows.queries import FlowView
from appio_core.flows.registry import FLOW_ACTIONS, FlowAction
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, fiscal_codes, recipient_csv

TEMPLATES = importing.Templates(subject="Avviso per {{nome}}", text=TEXT)


def _import(session: Session, actor: Actor, service_id: int, content: bytes) -> Flow:
    return importing.import_flow(
        session,
        actor,
        service_id=service_id,
        name="Avviso",
        natura="Comunicazione",
        source=content,
        filename="destinatari.csv",
        templates=TEMPLATES,
    )


def test_an_import_creates_an_inactive_flow_with_every_row(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(25)))
    assert flow.state == FlowState.INACTIVE
    assert flow.recipients_total == 25
    [first] = queries.list_recipients(session, operator, flow.id, limit=1)
    assert first.row_number == 2  # the header is row 1
    assert first.subject == "Avviso per Cittadino 0"
    assert first.markdown.startswith("Gentile Cittadino 0, ")
    assert first.outcome == Outcome.PENDING


def test_a_file_with_one_bad_row_imports_nothing_and_says_why(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    content = recipient_csv(fiscal_codes(10)) + b"RSSMRA80A01H501X;Sbagliato\n"
    with pytest.raises(importing.FlowFileRefused) as info:
        _import(session, operator, demo["Tributi - TARI"], content)
    assert info.value.report.error_rows == 1
    assert info.value.message.startswith("Il file contiene errori: nessun destinatario")
    assert session.scalar(select(func.count()).select_from(Flow)) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_flow_cannot_be_sent_before_it_is_activated(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(3)))
    with pytest.raises(Conflict, match="«Invia» è possibile solo per un flusso «Attivo»"):
        actions.send(session, operator, flow.id)


def test_only_an_inactive_flow_can_have_its_recipients_replaced(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(3)))
    importing.replace_recipients(
        session, operator, flow.id, recipient_csv(fiscal_codes(7, seed=2)), "nuovi.csv", TEMPLATES
    )
    assert flow.recipients_total == 7
    assert session.scalar(select(func.count()).select_from(Notification)) == 7
    actions.activate(session, operator, flow.id)
    with pytest.raises(Conflict, match="si può modificare solo un flusso «Inattivo»"):
        importing.replace_recipients(
            session, operator, flow.id, recipient_csv(fiscal_codes(2)), "x.csv", TEMPLATES
        )


def test_sending_the_same_file_again_today_needs_a_confirmation(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    content = recipient_csv(fiscal_codes(4))
    first = _import(session, operator, demo["Tributi - TARI"], content)
    actions.activate(session, operator, first.id)
    actions.send(session, operator, first.id)
    second = _import(session, operator, demo["Tributi - TARI"], content)
    actions.activate(session, operator, second.id)
    with pytest.raises(SameFileSentToday, match="già stato inviato oggi"):
        actions.send(session, operator, second.id)
    actions.send(session, operator, second.id, force=True)
    assert second.state == FlowState.SENDING


def test_the_same_file_for_another_service_needs_no_confirmation(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    content = recipient_csv(fiscal_codes(4))
    first = _import(session, operator, demo["Tributi - TARI"], content)
    actions.activate(session, operator, first.id)
    actions.send(session, operator, first.id)
    other = _import(session, operator, demo["Servizi scolastici - Mensa"], content)
    actions.activate(session, operator, other.id)
    actions.send(session, operator, other.id)
    assert other.state == FlowState.SENDING


def test_an_unknown_natura_is_refused(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    with pytest.raises(InvalidInput, match="Natura «Varie» sconosciuta"):
        importing.import_flow(
            session,
            operator,
            service_id=demo["Tributi - TARI"],
            name="x",
            natura="Varie",
            source=recipient_csv(fiscal_codes(1)),
            filename="a.csv",
            templates=TEMPLATES,
        )


def _perform(session: Session, actor: Actor, action: FlowAction, flow_id: int) -> object:
    return actions.perform(session, actor, action, flow_id, recipient_ids=[1])


@pytest.mark.parametrize("action", FLOW_ACTIONS, ids=[a.name for a in FLOW_ACTIONS])
def test_a_viewer_cannot_act_on_a_flow_even_when_enabled(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_actor: Callable[[str, Role], Actor],
    action: FlowAction,
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    viewer = make_actor("lettore", Role.VIEWER)
    enable_operator(session, operator, "Tributi - TARI", "lettore")
    with pytest.raises(PermissionDenied, match="sola consultazione"):
        _perform(session, viewer, action, flow.id)


@pytest.mark.parametrize("action", FLOW_ACTIONS, ids=[a.name for a in FLOW_ACTIONS])
def test_an_operator_not_enabled_on_the_service_cannot_act_on_its_flows(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_actor: Callable[[str, Role], Actor],
    action: FlowAction,
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    stranger = make_actor("estraneo", Role.OPERATOR)
    with pytest.raises(PermissionDenied, match="Non sei abilitato a questo servizio"):
        _perform(session, stranger, action, flow.id)
    with pytest.raises(PermissionDenied):
        queries.get_flow(session, stranger, flow.id)
    assert queries.search_flows(session, stranger, queries.FlowFilters()).rows == []


def test_an_operator_not_enabled_cannot_import_for_the_service(
    session: Session, demo: dict[str, int], make_actor: Callable[[str, Role], Actor]
) -> None:
    stranger = make_actor("estraneo", Role.OPERATOR)
    with pytest.raises(PermissionDenied, match="Non sei abilitato"):
        _import(session, stranger, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))


def test_the_archive_filters_by_state_service_and_text(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    a = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    a.name = "TARI acconto"
    b = _import(
        session,
        operator,
        demo["Servizi scolastici - Mensa"],
        recipient_csv(fiscal_codes(2, seed=3)),
    )
    actions.activate(session, operator, b.id)

    def search(session: Session, actor: Actor, filters: queries.FlowFilters) -> list[FlowView]:
        return queries.search_flows(session, actor, filters).rows

    by_name = queries.FlowFilters(text="acconto")
    assert [f.id for f in search(session, operator, by_name)] == [a.id]
    assert [
        f.id for f in search(session, operator, queries.FlowFilters(state=FlowState.ACTIVE))
    ] == [b.id]
    assert [
        f.id
        for f in search(session, operator, queries.FlowFilters(service_id=demo["Tributi - TARI"]))
    ] == [a.id]


def test_uncertain_rows_of_a_cancelled_flow_cannot_be_resent(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    # The row used to become «da inviare» on a flow that stays «Annullato»: nothing would
    # ever send it, while the page said «sarà reinviato».
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    [row, _] = queries.list_recipients(session, operator, flow.id)
    row.outcome = Outcome.UNCERTAIN
    session.flush()
    actions.cancel(session, operator, flow.id)
    with pytest.raises(Conflict, match="Il flusso è «Annullato»"):
        actions.resend_uncertain(session, operator, flow.id, [row.id])
    session.refresh(row)
    assert row.outcome == Outcome.UNCERTAIN
    assert flow.state == FlowState.CANCELLED
