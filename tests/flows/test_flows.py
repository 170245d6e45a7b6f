"""Flow lifecycle: the transition table, import all-or-nothing, guards and permissions."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import enable_operator
from appio_core.domain import FLOW_TRANSITIONS, FlowState, Outcome, Role, can_move
from appio_core.errors import Conflict, InvalidInput, PermissionDenied
from appio_core.flows import actions, importing, queries
from appio_core.flows.queries import FlowView
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, fiscal_codes, recipient_csv

ALLOWED = {
    ("Inattivo", "Attivo"),
    ("Inattivo", "Annullato"),
    ("Attivo", "Inattivo"),
    ("Attivo", "In invio"),
    ("Attivo", "Annullato"),
    ("In invio", "Sospeso"),
    ("In invio", "Inviato"),
    ("In invio", "Invio incompleto"),
    ("In invio", "Annullato"),
    ("Sospeso", "In invio"),
    ("Sospeso", "Annullato"),
    ("Invio incompleto", "In invio"),
    ("Invio incompleto", "Inviato"),
    ("Inviato", "Invio incompleto"),
}
TEMPLATES = importing.Templates(subject="Avviso per {{nome}}", text=TEXT)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(FlowState, FlowState)))
def test_every_pair_of_flow_states_is_allowed_or_refused_as_the_table_says(
    source: FlowState, target: FlowState
) -> None:
    assert can_move(source, target) == ((source.value, target.value) in ALLOWED)
    assert len(FLOW_TRANSITIONS) == len(ALLOWED)


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
    with pytest.raises(Conflict, match="si può inviare solo un flusso «Attivo»"):
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
    with pytest.raises(Conflict, match="solo di un flusso «Inattivo»"):
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
    with pytest.raises(actions.SameFileSentToday, match="già stato inviato oggi"):
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


ACTIONS: tuple[tuple[str, Callable[[Session, Actor, int], object]], ...] = (
    ("activate", actions.activate),
    ("send", actions.send),
    ("pause", actions.pause),
    ("resume", actions.resume),
    ("cancel", actions.cancel),
    ("retry failed", actions.retry_failed),
    ("resend uncertain", lambda s, a, f: actions.resend_uncertain(s, a, f, [1])),
    ("mark uncertain sent", lambda s, a, f: actions.mark_uncertain_sent(s, a, f, [1])),
)


@pytest.mark.parametrize(("name", "action"), ACTIONS, ids=[n for n, _ in ACTIONS])
def test_a_viewer_cannot_act_on_a_flow_even_when_enabled(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_actor: Callable[[str, Role], Actor],
    name: str,
    action: Callable[[Session, Actor, int], object],
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    viewer = make_actor("lettore", Role.VIEWER)
    enable_operator(session, operator, "Tributi - TARI", "lettore")
    with pytest.raises(PermissionDenied, match="sola consultazione"):
        action(session, viewer, flow.id)


@pytest.mark.parametrize(("name", "action"), ACTIONS, ids=[n for n, _ in ACTIONS])
def test_an_operator_not_enabled_on_the_service_cannot_act_on_its_flows(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_actor: Callable[[str, Role], Actor],
    name: str,
    action: Callable[[Session, Actor, int], object],
) -> None:
    flow = _import(session, operator, demo["Tributi - TARI"], recipient_csv(fiscal_codes(2)))
    stranger = make_actor("estraneo", Role.OPERATOR)
    with pytest.raises(PermissionDenied, match="Non sei abilitato a questo servizio"):
        action(session, stranger, flow.id)
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
