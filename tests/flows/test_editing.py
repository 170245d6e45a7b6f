"""A flow in preparation can be changed: details, templates (checked again), its file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AuditEntry
from appio_core.cli import cli
from appio_core.domain import FlowState, Role
from appio_core.errors import Conflict, InvalidInput, PermissionDenied
from appio_core.flows import actions, importing
from appio_core.flows.editing import FlowChanges, edit_flow
from appio_core.storage.models import Flow, Notification

from .conftest import TEXT, fiscal_codes, imported_flow, recipient_csv

TEMPLATES = importing.Templates("Avviso per {{nome}}", TEXT)
NEW_TEXT = "Caro {{nome}}, " + "il servizio comunale ti scrive per una novità importante. " * 3


def _flow(session: Session, actor: Actor, service_id: int, count: int = 3) -> Flow:
    return imported_flow(
        session, actor, service_id, fiscal_codes(count), name="Bozza", templates=TEMPLATES
    )


def _rows(session: Session, flow_id: int) -> list[Notification]:
    return session.query(Notification).filter_by(flow_id=flow_id).order_by(Notification.id).all()


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return session.query(AuditEntry).filter_by(action=action).order_by(AuditEntry.id).all()


def test_an_inactive_flows_details_and_templates_change_and_every_message_follows(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    changes = FlowChanges(
        name="TARI saldo",
        natura="Promemoria scadenza",
        subject_template="Promemoria per {{nome}}",
        text_template=NEW_TEXT,
    )
    edit_flow(session, operator, flow.id, changes)
    session.expire_all()
    assert (flow.name, flow.natura) == ("TARI saldo", "Promemoria scadenza")
    assert flow.subject_template == "Promemoria per {{nome}}"
    first, *_ = _rows(session, flow.id)
    assert first.subject == "Promemoria per Cittadino 0"
    assert first.markdown.startswith("Caro Cittadino 0, il servizio comunale")
    [entry] = _audit(session, "flow.edit")
    assert entry.target == f"flusso n. {flow.id} «Bozza»"
    assert "nome da «Bozza» a «TARI saldo»" in entry.detail
    assert "modello dell'oggetto" in entry.detail and "modello del testo" in entry.detail


def test_a_template_naming_a_column_the_file_lacks_is_refused_and_changes_nothing(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    with pytest.raises(InvalidInput, match=r"usa \{\{cognome\}\}, ma il file non ha"):
        edit_flow(
            session, operator, flow.id, FlowChanges(subject_template="Avviso per {{cognome}}")
        )
    session.expire_all()
    assert _rows(session, flow.id)[0].subject == "Avviso per Cittadino 0"


def test_a_template_making_a_message_too_short_is_refused(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    with pytest.raises(InvalidInput, match="Il testo è troppo corto"):
        edit_flow(session, operator, flow.id, FlowChanges(text_template="Ciao {{nome}}"))


def test_only_an_inactive_flow_may_be_edited_and_only_by_who_may_send(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_actor: object,
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    viewer = make_actor("lettore", Role.VIEWER)  # type: ignore[operator]
    with pytest.raises(PermissionDenied):
        edit_flow(session, viewer, flow.id, FlowChanges(name="Altro"))
    actions.activate(session, operator, flow.id)
    # One rule, one message, for the details and the file alike.
    changes: dict[str, Callable[[], object]] = {
        "details": lambda: edit_flow(session, operator, flow.id, FlowChanges(name="Altro")),
        "file": lambda: importing.replace_recipients(
            session, operator, flow.id, recipient_csv(fiscal_codes(2)), "x.csv"
        ),
    }
    refusals = {}
    for what, change in changes.items():
        with pytest.raises(Conflict) as refused:
            change()
        refusals[what] = refused.value.message
    active = (
        "Il flusso è «Attivo»: si può modificare solo un flusso «Inattivo». Usa prima «Riporta"
        " in preparazione»."
    )
    assert refusals == {"details": active, "file": active}
    assert FlowState(flow.state) == FlowState.ACTIVE


NAME_TOO_LONG = "Il nome del flusso è troppo lungo: ha 201 caratteri, al massimo 200: accorcialo."
NATURA_UNKNOWN = (
    "Natura «Varie» sconosciuta: scegli tra Comunicazione, Avviso di pagamento, Promemoria"
    " scadenza, Sollecito di pagamento, Esito pratica, Allerta e protezione civile."
)


@pytest.mark.parametrize(
    ("name", "natura", "refusal"),
    [
        (" ", "Comunicazione", "Indica il nome del flusso."),
        ("x" * 201, "Comunicazione", NAME_TOO_LONG),
        ("Avviso", "Varie", NATURA_UNKNOWN),
    ],
    ids=["no name", "a name longer than the column", "an unknown natura"],
)
def test_a_flows_name_and_natura_are_checked_alike_at_import_and_when_edited(
    session: Session, operator: Actor, demo: dict[str, int], name: str, natura: str, refusal: str
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    with pytest.raises(InvalidInput) as at_import:
        importing.import_flow(
            session,
            operator,
            service_id=demo["Tributi - TARI"],
            name=name,
            natura=natura,
            source=recipient_csv(fiscal_codes(2)),
            filename="a.csv",
            templates=TEMPLATES,
        )
    with pytest.raises(InvalidInput) as when_edited:
        edit_flow(session, operator, flow.id, FlowChanges(name=name, natura=natura))
    assert (at_import.value.message, when_edited.value.message) == (refusal, refusal)


def test_a_replaced_file_keeps_the_flows_templates(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    importing.replace_recipients(
        session, operator, flow.id, recipient_csv(fiscal_codes(7, seed=9)), "nuovo.csv"
    )
    assert flow.recipients_total == 7
    assert flow.subject_template == "Avviso per {{nome}}"
    assert _rows(session, flow.id)[6].subject == "Avviso per Cittadino 6"


def test_the_cli_edits_and_replaces_the_file(
    app_env: str, sessions: sessionmaker[Session], demo: dict[str, int], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        flow_id = _flow(session, Actor.system(), demo["Tributi - TARI"]).id
    runner = CliRunner()
    result = runner.invoke(
        cli, ["flow", "edit", str(flow_id), "--name", "Nuovo nome", "--natura", "Esito pratica"]
    )
    assert result.exit_code == 0, result.output
    assert f"Flusso {flow_id} «Nuovo nome» modificato." in result.output
    new_file = tmp_path / "nuovo.csv"
    new_file.write_bytes(recipient_csv(fiscal_codes(4, seed=5)))
    result = runner.invoke(cli, ["flow", "replace-file", str(flow_id), str(new_file)])
    assert result.exit_code == 0, result.output
    assert "file sostituito, 4 destinatari" in result.output
    refused = runner.invoke(
        cli, ["flow", "edit", str(flow_id), "--subject-template", "Per {{sconosciuta}}"]
    )
    assert refused.exit_code != 0
    assert "non ha quelle colonne" in refused.output
    with sessions() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        assert (flow.name, flow.natura, flow.recipients_total) == (
            "Nuovo nome",
            "Esito pratica",
            4,
        )
        assert [e.outcome for e in _audit(session, "flow.edit")] == ["riuscito", "rifiutato"]


def test_a_save_that_changes_nothing_writes_no_audit_entry(
    session: Session, operator: Actor, demo: dict[str, int]
) -> None:
    flow = _flow(session, operator, demo["Tributi - TARI"])
    edit_flow(session, operator, flow.id, FlowChanges(name="Bozza", natura="Comunicazione"))
    session.flush()
    assert _audit(session, "flow.edit") == []
