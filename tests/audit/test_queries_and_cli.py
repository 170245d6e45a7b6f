"""Reading the log: filters by Italian days, operator, action or family, outcome and target,
paged like the other archives, administrators only; `appio audit list` and `appio --as`."""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.audit_log import (
    AuditFilters,
    AuditSort,
    AuditSortKey,
    action_choices,
    count,
    search,
)
from appio_core.accounts.operators import set_active
from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, AuditOutcome, Named, record
from appio_core.cli import cli
from appio_core.demo.accounts import DEMO_ACCOUNT, DEMO_SERVICES
from appio_core.domain import Role
from appio_core.errors import InvalidInput, PermissionDenied
from appio_core.italian import ROME
from appio_core.storage.db import session_scope

from ..flows.conftest import fiscal_codes, recipient_csv
from .conftest import Log, only

ADMIN = Actor.system()
NEW_YEARS_EVE = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Rome, 31/12
NEW_YEAR = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 in Rome, 01/01/2027


@pytest.fixture
def entries(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        for at, who, action, target, outcome in (
            (NEW_YEARS_EVE, "mrossi", AuditAction.FLOW_SEND, "flusso n. 1 «TARI»", "ok"),
            (NEW_YEARS_EVE, "lbianchi", AuditAction.FLOW_PAUSE, "flusso n. 1 «TARI»", "no"),
            (NEW_YEAR, "mrossi", AuditAction.NOTIFICATION_SEND, "notifica n. 4", "ok"),
            (NEW_YEAR, "admin", AuditAction.LOGIN, "operatore «admin»", "ok"),
        ):
            record(
                session,
                Named(who),
                action,
                target,
                outcome=AuditOutcome.OK if outcome == "ok" else AuditOutcome.REFUSED,
                at=at,
            )


def _targets(session: Session, **filters: object) -> list[str]:
    page = search(session, ADMIN, AuditFilters(**filters))  # type: ignore[arg-type]
    return [f"{r.operator} {r.action}" for r in page.rows]


def test_filters_by_italian_day_operator_action_family_outcome_and_target(
    entries: None, session: Session
) -> None:
    assert _targets(session) == [
        "admin login",
        "mrossi notification.send",
        "lbianchi flow.pause",
        "mrossi flow.send",
    ]
    assert _targets(session, until=date(2026, 12, 31)) == [
        "lbianchi flow.pause",
        "mrossi flow.send",
    ]
    assert _targets(session, since=date(2027, 1, 1)) == ["admin login", "mrossi notification.send"]
    assert _targets(session, operator=" MRossi") == ["mrossi notification.send", "mrossi flow.send"]
    assert _targets(session, action="flow") == ["lbianchi flow.pause", "mrossi flow.send"]
    assert _targets(session, action="flow.send") == ["mrossi flow.send"]
    assert _targets(session, action="login") == ["admin login"]
    assert _targets(session, outcome=AuditOutcome.REFUSED) == ["lbianchi flow.pause"]
    assert _targets(session, target_contains="tari") == ["lbianchi flow.pause", "mrossi flow.send"]
    with pytest.raises(InvalidInput, match="Azione «flusso» sconosciuta"):
        _targets(session, action="flusso")


def test_pages_of_the_log_with_the_total_sorted_by_the_database(
    entries: None, session: Session
) -> None:
    page = search(session, ADMIN, AuditFilters(), page=2, page_size=3)
    assert (page.total, page.number, [r.action for r in page.rows]) == (4, 2, ["flow.send"])
    by_operator = search(
        session, ADMIN, AuditFilters(), sort=AuditSort(AuditSortKey.OPERATOR, descending=False)
    )
    assert [r.operator for r in by_operator.rows] == ["admin", "lbianchi", "mrossi", "mrossi"]
    assert by_operator.rows[0].label == "Accesso"


def test_only_administrators_read_the_log(
    entries: None, session: Session, make_actor: Callable[[str, Role], Actor]
) -> None:
    for role in (Role.OPERATOR, Role.VIEWER):
        reader = make_actor(f"lettore-{role.name.lower()}", role)
        with pytest.raises(PermissionDenied) as refused:
            count(session, reader, AuditFilters())
        assert refused.value.message == (
            "Solo un amministratore può consultare il registro attività."
        )


def test_the_action_filter_offers_families_and_actions_in_italian() -> None:
    choices = action_choices()
    assert choices["flow"] == "Flussi (tutte)" and choices["flow.send"] == "Flusso: Invia"
    assert choices["login"] == "Accesso" and "Accessi (tutte)" not in choices.values()
    assert set(choices) >= {a.value for a in AuditAction}


# ---- the CLI ---------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_without_as_the_installation_acts_and_says_from_which_machine(
    services: dict[str, int], log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUDO_USER", "tecnico")
    monkeypatch.setenv("APPIO_OPERATOR_PASSWORD", "una-password-lunga")
    result = run("operator", "add", "gverdi", "--role", "consultazione")
    assert result.exit_code == 0, result.output
    [entry] = only(log(), "operator.create")[-1:]
    assert entry.operator == "appio-cli"
    machine = f"riga di comando: {getpass.getuser()}@{socket.gethostname()}"
    assert entry.origin == f"{machine} (sudo da tecnico)"


def test_as_names_the_operator_and_his_role_and_services_apply(
    services: dict[str, int], log: Log, tmp_path: Path
) -> None:
    csv = tmp_path / "tari.csv"
    csv.write_bytes(recipient_csv(fiscal_codes(2)))
    tari = DEMO_SERVICES[0].name
    text = "Gentile {{nome}}, " + "x" * 130
    imported = run(
        "--as", "mrossi", "flow", "import", str(csv), "--service", tari, "--name", "TARI",
        "--subject-template", "Avviso TARI 2026", "--text-template", text,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    flow_id = imported.output.strip()
    # A consultazione operator may not send: refused like on the pages, and recorded.
    refused = run("flow", "activate", flow_id, env={"APPIO_OPERATOR": "lbianchi"})
    assert refused.exit_code == 1
    assert refused.output == (
        "Errore: Il tuo profilo è di sola consultazione: non puoi inviare messaggi.\n"
    )
    assert run("--as", "mrossi", "flow", "activate", flow_id).exit_code == 0
    flows = [e for e in log() if e.action.startswith("flow.")]
    assert [(e.operator, e.action, e.outcome) for e in flows] == [
        ("mrossi", "flow.import", "riuscito"),
        ("lbianchi", "flow.activate", "rifiutato"),
        ("mrossi", "flow.activate", "riuscito"),
    ]
    assert all(e.origin.startswith("riga di comando: ") for e in flows)


def test_an_unknown_or_disabled_operator_is_refused_in_one_line(
    services: dict[str, int], sessions: sessionmaker[Session], log: Log
) -> None:
    with session_scope(sessions) as session:
        set_active(session, ADMIN, "lbianchi", False)
    unknown = run("--as", "nessuno", "service", "list")
    assert (unknown.exit_code, unknown.output) == (
        1,
        "Errore: --as «nessuno»: nessun operatore con questo nome utente.\n",
    )
    disabled = run("--as", "LBianchi", "service", "list")
    assert disabled.output == "Errore: --as «LBianchi»: operatore disattivato.\n"
    logins = only(log(), "login")
    assert [(e.operator, e.outcome, e.detail) for e in logins] == [
        (
            "nessuno",
            "rifiutato",
            "--as dalla riga di comando: nessun operatore con questo nome utente.",
        ),
        ("lbianchi", "rifiutato", "--as dalla riga di comando: operatore disattivato."),
    ]


def test_audit_list_prints_the_log_as_json_with_filters(
    services: dict[str, int], log: Log, tmp_path: Path
) -> None:
    run("--as", "admin", "service", "account", DEMO_ACCOUNT, "--requests", "100")
    listed = run("audit", "list", "--format", "json", "--operator", "admin")
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.output)
    assert entry["operator"] == "admin" and entry["action"] == "service.account"
    assert entry["target"] == f"account IO «{DEMO_ACCOUNT}»" and entry["outcome"] == "riuscito"
    assert entry["action_label"] == "Limite dell'account IO"
    assert datetime.fromisoformat(entry["at"]).utcoffset() is not None
    today = datetime.now(ROME).strftime("%d/%m/%Y")  # the Italian day
    assert json.loads(run("audit", "list", "--format", "json", "--since", today).output)
    assert (
        json.loads(run("audit", "list", "--format", "json", "--since", "01/01/2099").output) == []
    )
    family = json.loads(run("audit", "list", "--format", "json", "--action", "service").output)
    assert {e["action"] for e in family} == {
        "service.create",
        "service.operators",
        "service.account",
        "service.manage-key",  # the demo sets the simulator's manage key
    }
    text = run("audit", "list", "--action", "service.account")
    assert f"\tadmin\tservice.account\taccount IO «{DEMO_ACCOUNT}»\triuscito\t" in text.output
    bad = run("audit", "list", "--action", "flusso")
    assert bad.exit_code == 2 and "Azione «flusso» sconosciuta" in bad.output
    assert "flow.retry-failed\tFlusso: Reinvia falliti" in run("audit", "actions").output


def test_audit_list_is_for_administrators_and_exports_to_excel(
    services: dict[str, int], log: Log, tmp_path: Path
) -> None:
    refused = run("--as", "mrossi", "audit", "list")
    assert (refused.exit_code, refused.output) == (
        1,
        "Errore: Solo un amministratore può consultare il registro attività.\n",
    )
    output = tmp_path / "registro.xlsx"
    exported = run(
        "--as", "admin", "audit", "list", "--action", "operator", "--output", str(output)
    )
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"3 voci esportate in {output}.\n"
    sheet = load_workbook(output).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("N.", "Quando", "Operatore", "Azione")
    assert [r[3] for r in rows[1:]] == ["Nuovo operatore"] * 3
    [export] = only(log(), "export.audit")
    assert (export.operator, export.detail) == (
        "admin",
        "Filtri: azione: Operatori (tutte). 3 righe.",
    )
