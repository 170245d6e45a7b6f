"""«Rettifica» of a flow: a new flow, «Inattivo», only to the citizens IO accepted, with their
file's values, linked both ways; then sent like any flow. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AUDIT_LOG
from appio_core.cli import cli
from appio_core.domain import POSITIVE_OUTCOMES, FlowState, Outcome
from appio_core.errors import Conflict, InvalidInput
from appio_core.flows import actions, importing, queries
from appio_core.flows.correction import correct_flow, file_columns
from appio_core.io.simulator.app import SimulatorApp
from appio_core.notifications.archive import NotificationFilters, search
from appio_core.sending.dispatcher import Dispatcher
from appio_core.storage.models import Notification

from .conftest import expected_outcomes, fiscal_codes, imported_flow, recipient_csv

TARI = "Tributi - TARI"
CORRECTION_TEXT = (
    "Gentile {{nome}}, nel messaggio precedente la data indicata era sbagliata: la scadenza"
    " corretta è il 16 dicembre 2026. Ci scusiamo per l'errore."
)


async def _sent_flow(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
    codes: list[str],
    **options: object,
) -> int:
    flow = imported_flow(session, operator, demo[TARI], codes, **options)  # type: ignore[arg-type]
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    return flow.id


def _rows(session: Session, flow_id: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.flow_id == flow_id).order_by(Notification.id)
        )
    )


async def test_a_correction_goes_only_to_the_accepted_citizens_with_their_values_and_links(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(40, seed=16)
    original = await _sent_flow(session, operator, demo, make_dispatcher, codes)
    assert queries.get_flow(session, operator, original).state == FlowState.INCOMPLETE
    expected = expected_outcomes(simulator, codes)
    accepted = {cf for cf, outcome in expected.items() if outcome in POSITIVE_OUTCOMES}
    assert 0 < len(accepted) < len(codes)  # some citizens were not reached

    made = correct_flow(session, operator, original, text_template=CORRECTION_TEXT)
    session.commit()
    assert made.recipients == len(accepted)
    assert made.name == "Rettifica: Avviso TARI"
    view = queries.get_flow(session, operator, made.flow_id)
    assert (view.state, view.corrects_flow_id, view.service_id) == (
        FlowState.INACTIVE,
        original,
        demo[TARI],
    )
    assert queries.get_flow(session, operator, original).corrected_by == (made.flow_id,)

    first = {r.id: r for r in _rows(session, original)}
    rows = _rows(session, made.flow_id)
    assert {r.fiscal_code for r in rows} == accepted
    for row in rows:
        before = first[row.corrects_notification_id or 0]
        assert before.fiscal_code == row.fiscal_code and before.row_number == row.row_number
        name = json.loads(before.extra)["nome"]
        assert row.subject == f"Rettifica: Avviso per {name}"
        assert row.markdown.startswith(f"Gentile {name}, nel messaggio precedente")
        assert row.extra == before.extra
        assert (row.outcome, row.amount, row.notice_number) == (Outcome.PENDING, None, None)

    # «Solo rettifiche», in both archives.
    only = queries.search_flows(session, operator, queries.FlowFilters(only_corrections=True))
    assert [v.id for v in only.rows] == [made.flow_id]
    page = search(session, operator, NotificationFilters(only_corrections=True), page_size=100)
    assert {r.id for r in page.rows} == {r.id for r in rows}
    everything = search(session, operator, NotificationFilters(), page_size=100).rows
    corrected = {r.id: r.corrected_by for r in everything if r.flow_id == original}
    assert {i for i, by in corrected.items() if by} == {r.corrects_notification_id for r in rows}

    # Then it goes as any flow: no «same file sent today» for its original's file.
    actions.activate(session, operator, made.flow_id)
    actions.send(session, operator, made.flow_id)
    session.commit()
    await make_dispatcher(status_first_check=3600.0).run(once=True)
    session.expire_all()
    assert queries.get_flow(session, operator, made.flow_id).state == FlowState.SENT
    sends = simulator.record.sends_by_fiscal_code()
    assert {cf for cf, ids in sends.items() if len(ids) == 2} == accepted
    assert {cf for cf, ids in sends.items() if len(ids) == 1} == set()
    subjects = [
        simulator.record.messages[r.io_message_id or ""].content["subject"]
        for r in _rows(session, made.flow_id)
    ]
    assert all(s.startswith("Rettifica: Avviso per Cittadino ") for s in subjects)

    entry = session.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.action == "flow.correct")).one()
    assert (entry.outcome, entry.target) == (
        "riuscito",
        f"flusso n. {made.flow_id} «Rettifica: Avviso TARI»",
    )
    assert entry.detail == (
        f"Rettifica del flusso n. {original} «Avviso TARI»: {len(accepted)} destinatari"
        " (quelli accettati da IO)."
    )


async def test_a_correction_takes_its_own_subject_template_checked_on_the_file_values(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    original = await _sent_flow(session, operator, demo, make_dispatcher, fiscal_codes(6))
    with pytest.raises(InvalidInput) as unknown:
        correct_flow(
            session,
            operator,
            original,
            subject_template="Rettifica per {{cognome}}",
            text_template=CORRECTION_TEXT,
        )
    assert unknown.value.message.startswith(
        "Il modello dell'oggetto usa {{cognome}}, ma il file non ha quelle colonne (ha:"
    )
    with pytest.raises(InvalidInput, match="Il modello del testo ha parentesi graffe spaiate"):
        correct_flow(session, operator, original, text_template=CORRECTION_TEXT + " {{nome}")
    with pytest.raises(InvalidInput, match="Il testo è troppo corto"):
        correct_flow(session, operator, original, text_template="Rettifica: {{nome}}")
    with pytest.raises(InvalidInput, match="Scrivi il testo della rettifica"):
        correct_flow(session, operator, original, text_template="  ")
    made = correct_flow(
        session,
        operator,
        original,
        subject_template="Rettifica TARI per {{ nome }}",
        text_template=CORRECTION_TEXT,
        name="Correzione scadenza",
    )
    rows = _rows(session, made.flow_id)
    assert made.name == "Correzione scadenza"
    assert all(r.subject.startswith("Rettifica TARI per Cittadino ") for r in rows)
    view = queries.get_flow(session, operator, made.flow_id)
    assert view.subject_template == "Rettifica TARI per {{ nome }}"


async def test_an_original_subject_too_long_with_the_prefix_is_refused_naming_the_rows(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    # 112 characters: 123 with «Rettifica: » in front.
    templates = importing.Templates(subject="A" * 112, text=CORRECTION_TEXT)
    original = await _sent_flow(
        session, operator, demo, make_dispatcher, fiscal_codes(3), templates=templates
    )
    with pytest.raises(InvalidInput) as refused:
        correct_flow(session, operator, original, text_template=CORRECTION_TEXT)
    assert refused.value.message.startswith(
        "Con «Rettifica:» davanti, l'oggetto originale supera i 120 caratteri per"
    )
    assert refused.value.message.endswith(
        "alla riga 2 sono 123): scrivi un modello dell'oggetto più breve."
    )
    assert "righe 2, " in refused.value.message


def test_only_a_flow_that_has_sent_can_be_corrected(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = imported_flow(session, operator, demo[TARI], fiscal_codes(2))
    with pytest.raises(Conflict) as refused:
        correct_flow(session, operator, flow.id, text_template=CORRECTION_TEXT)
    assert refused.value.message == (
        "Il flusso è «Inattivo»: si può rettificare solo un flusso «Inviato» o «Invio"
        " incompleto», dopo l'invio."
    )


async def test_a_flow_nobody_received_has_no_one_to_correct(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    simulator: SimulatorApp,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = [
        cf for cf, o in expected_outcomes(simulator, fiscal_codes(60)).items() if o not in
        POSITIVE_OUTCOMES
    ][:3]  # fmt: skip
    original = await _sent_flow(session, operator, demo, make_dispatcher, codes)
    with pytest.raises(Conflict, match="IO non ha accettato nessun messaggio di questo flusso"):
        correct_flow(session, operator, original, text_template=CORRECTION_TEXT)


async def test_the_file_of_a_correction_cannot_be_replaced(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    codes = fiscal_codes(4)
    original = await _sent_flow(session, operator, demo, make_dispatcher, codes)
    made = correct_flow(session, operator, original, text_template=CORRECTION_TEXT)
    with pytest.raises(Conflict) as refused:
        importing.replace_recipients(
            session, operator, made.flow_id, recipient_csv(codes), "altri.csv"
        )
    assert refused.value.message.startswith(
        f"Questo flusso è una rettifica del flusso n. {original}: i suoi destinatari sono"
    )


# ---- `appio flow correct` -----------------------------------------------------------------


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


async def test_the_command_makes_the_correcting_flow_and_lists_it(
    app_env: str,
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    original = await _sent_flow(session, operator, demo, make_dispatcher, fiscal_codes(5))
    session.close()
    made = _cli("flow", "correct", str(original), "--text-template", CORRECTION_TEXT)
    assert made.exit_code == 0, made.output
    new_id = int(made.stdout.splitlines()[0])
    status = json.loads(_cli("flow", "status", str(new_id), "--format", "json").output)
    assert (status["state"], status["corrects_flow_id"]) == ("Inattivo", original)
    before = json.loads(_cli("flow", "status", str(original), "--format", "json").output)
    assert before["corrected_by"] == [new_id]
    assert f"Rettificato da n. {new_id}" in _cli("flow", "status", str(original)).output
    listed = json.loads(_cli("flow", "list", "--corrections", "--format", "json").output)
    assert [(f["id"], f["corrects_flow_id"]) for f in listed] == [(new_id, original)]

    again = _cli("flow", "correct", str(new_id), "--text-template", CORRECTION_TEXT)
    assert again.exit_code == 1
    assert again.output.startswith("Errore: Il flusso è «Inattivo»: si può rettificare solo")
    wrong = _cli("flow", "correct", str(original), "--text-template", CORRECTION_TEXT + "{{cf}}")
    assert wrong.exit_code == 1
    assert "Il modello del testo usa {{cf}}, ma il file non ha quelle colonne" in wrong.output
    assert _cli("flow", "correct", str(original)).exit_code == 2  # no text


async def test_the_placeholders_offered_are_the_original_file_s_columns(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    original = await _sent_flow(session, operator, demo, make_dispatcher, fiscal_codes(3))
    assert file_columns(session, operator, original) == ("nome",)
