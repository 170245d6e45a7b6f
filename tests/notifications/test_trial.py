"""«Invio di prova»: a flow's first message to IO's test citizen, as a single notification."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.audit.models import AuditEntry
from appio_core.domain import FeatureLevel, FlowState, Outcome
from appio_core.errors import Conflict
from appio_core.flows import actions, importing
from appio_core.io.http import in_process_simulator
from appio_core.notifications.trial import TEST_CITIZEN, send_file_trial, send_flow_trial
from appio_core.storage.models import Flow, Notification

from ..flows.conftest import TEXT, fiscal_codes
from .conftest import TARI


def _file() -> bytes:
    codes = fiscal_codes(2, seed=31)
    lines = ["codice_fiscale;nome;importo;numero avviso;scadenza"] + [
        f"{cf};Cittadino {i};{i + 1}2,50;30100000000000000{i};31/12/2030"
        for i, cf in enumerate(codes)
    ]
    return ("\n".join(lines) + "\n").encode()


TEMPLATES = importing.Templates("Avviso per {{nome}}", TEXT)


def test_the_simulator_has_ios_test_citizen_on_io() -> None:
    from appio_core.io.simulator import Kind

    population = in_process_simulator().population
    assert population.kind(TEST_CITIZEN, TARI.io_service_id) == Kind.WITH_IO


def test_a_files_first_message_goes_to_the_test_citizen_as_a_notification(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int], keybox: KeyBox
) -> None:
    result = send_file_trial(
        sessions, operator, services[TARI.name], _file(), "f.csv", TEMPLATES,
        "Avviso di pagamento", keybox, "simulator", FeatureLevel.STANDARD,
    )  # fmt: skip
    assert result.outcome == Outcome.ACCEPTED and result.io_message_id
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None
        assert (row.fiscal_code, row.flow_id) == (TEST_CITIZEN, None)  # listed in Notifiche
        assert row.subject == "Avviso per Cittadino 0"
        assert (row.amount, row.notice_number) == (1250, "301000000000000000")
        assert row.due_date is not None and row.due_date.startswith("2030-12-31")
        [entry] = session.query(AuditEntry).filter_by(action="notification.send").all()
        assert entry.outcome == "riuscito"
    [sent] = in_process_simulator().record.sends_by_fiscal_code()[TEST_CITIZEN]
    assert sent


def test_an_inactive_or_active_flow_is_tried_and_a_sent_one_is_not(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int], keybox: KeyBox
) -> None:
    with sessions.begin() as session:
        flow = importing.import_flow(
            session, operator, service_id=services[TARI.name], name="Prova",
            natura="Comunicazione", source=_file(), filename="f.csv", templates=TEMPLATES,
        )  # fmt: skip
        flow_id = flow.id
    result = send_flow_trial(sessions, operator, flow_id, keybox, "simulator")
    assert result.outcome == Outcome.ACCEPTED
    with sessions() as session:
        row = session.get(Notification, result.id)
        assert row is not None and row.fiscal_code == TEST_CITIZEN
        assert row.amount is None  # a Comunicazione: «importo» was text
        assert session.query(Notification).filter_by(flow_id=flow_id).count() == 2
    with sessions.begin() as session:
        actions.activate(session, operator, flow_id)
    assert send_flow_trial(sessions, operator, flow_id, keybox, "simulator").outcome == (
        Outcome.ACCEPTED
    )
    with sessions.begin() as session:
        session.get(Flow, flow_id).state = FlowState.SENDING  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="l'invio di prova si fa prima dell'invio"):
        send_flow_trial(sessions, operator, flow_id, keybox, "simulator")
