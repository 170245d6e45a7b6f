"""The flows over HTTP: import (the same checks and limits as an upload), the registry's
actions and their guards, reading a flow, its recipients page by page, its export."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient, sessionmaker

from appio_core.api import limits
from appio_core.api.flow_actions import API_ACTIONS
from appio_core.audit.models import AuditEntry
from appio_core.domain import ApprovalPolicy, FlowState, Outcome
from appio_core.exports.workbooks import XLSX_MIME
from appio_core.flows.registry import BY_COMMAND
from appio_core.integrations.keys import CreatedIntegration
from appio_core.integrations.scopes import Scope
from appio_core.storage.models import Flow, Notification, Service
from tests.api.conftest import MENSA, TARI, bearer
from tests.flows.conftest import TEXT, fiscal_codes, recipient_csv

PROBLEM = "application/problem+json"
Make = Callable[..., CreatedIntegration]


def fields(**changes: Any) -> str:
    data: dict[str, Any] = {
        "service": TARI.name,
        "name": "Avviso TARI",
        "subject_template": "Avviso per {{nome}}",
        "text_template": TEXT,
    }
    return json.dumps({**data, **changes})


def post_flow(
    client: TestClient, key: str, content: bytes, flow: str | None = None, name: str = "d.csv"
) -> Response:
    return client.post(
        "/api/v1/flows",
        headers=bearer(key),
        files={"file": (name, content, "text/csv")},
        data={"flow": flow or fields()},
    )


@pytest.fixture
def key(make_integration: Make) -> str:
    return make_integration().key


def imported(client: TestClient, key: str, count: int = 3, seed: int = 1) -> int:
    answer = post_flow(client, key, recipient_csv(fiscal_codes(count, seed)))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def act(client: TestClient, key: str, flow_id: int, command: str, **params: Any) -> Response:
    return client.post(f"/api/v1/flows/{flow_id}/{command}", headers=bearer(key), params=params)


def test_a_clean_file_makes_an_inactive_flow_of_the_integration(
    client: TestClient, make_integration: Make, sessions: sessionmaker[Session]
) -> None:
    made = make_integration()
    answer = post_flow(client, made.key, recipient_csv(fiscal_codes(3)))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == FlowState.INACTIVE.value == "Inattivo"
    assert (body["service"], body["recipients"], body["counts"]) == (
        TARI.name,
        3,
        {Outcome.PENDING.value: 3},
    )
    with sessions() as session:
        flow = session.get_one(Flow, body["id"])
        assert flow.integration_id == made.id
        assert flow.created_by == "api:Tributi"
    # GET gives the same object (`appio flow status --format json`).
    assert client.get(f"/api/v1/flows/{body['id']}", headers=bearer(made.key)).json() == body


def test_a_file_with_errors_is_422_with_the_verifica_file_report(
    client: TestClient, key: str, sessions: sessionmaker[Session]
) -> None:
    content = recipient_csv([*fiscal_codes(2), "RSSMRA80A01H50XZ"])
    answer = post_flow(client, key, content)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert "nessun destinatario è stato importato" in body["detail"]
    report = body["report"]
    assert report["rows"] == 3
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(4, "codice_fiscale")]
    with sessions() as session:
        assert session.scalars(select(Flow)).all() == []


def test_a_file_over_the_sandbox_limits_is_refused_in_italian(client: TestClient, key: str) -> None:
    # 201 columns: over FileLimits.max_columns, refused before the data is expanded.
    header = ";".join(["codice_fiscale", *(f"c{i}" for i in range(200))])
    row = ";".join([fiscal_codes(1)[0], *("x" for _ in range(200))])
    answer = post_flow(client, key, f"{header}\n{row}\n".encode())
    assert answer.status_code == 422
    body = answer.json()
    assert "colonne" in body["detail"] and "200" in body["detail"]
    assert body["report"]["file_errors"]


def test_a_body_over_the_upload_limit_is_413(
    client: TestClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "UPLOAD_BODY_LIMIT", 2048)
    answer = post_flow(client, key, recipient_csv(fiscal_codes(200)))
    assert answer.status_code == 413
    assert "limite" in answer.json()["detail"]


def test_an_unknown_field_is_422_naming_it(client: TestClient, key: str) -> None:
    answer = post_flow(client, key, recipient_csv(fiscal_codes(2)), fields(colore="rosso"))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert {"field": "flow.colore", "message": "campo non previsto: toglilo"} in errors
    wrong = post_flow(client, key, recipient_csv(fiscal_codes(2)), fields(columns={"nome": "x"}))
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "flow.columns.nome"


def test_a_key_without_flows_manage_is_403_and_in_the_audit_log(
    client: TestClient, make_integration: Make, sessions: sessionmaker[Session]
) -> None:
    reader = make_integration("Lettore", scopes=frozenset({Scope.READ_FLOWS}))
    answer = post_flow(client, reader.key, recipient_csv(fiscal_codes(2)))
    assert answer.status_code == 403
    assert "Gestione flussi" in answer.json()["detail"]
    flow_id = imported(client, make_integration().key)
    assert act(client, reader.key, flow_id, "activate").status_code == 403
    with sessions() as session:
        targets = session.scalars(
            select(AuditEntry.target).where(AuditEntry.action == "api.refused")
        ).all()
    assert targets == ["POST /api/v1/flows", f"POST /api/v1/flows/{flow_id}/activate"]


def test_a_flow_outside_the_key_services_is_refused(
    client: TestClient, key: str, make_integration: Make
) -> None:
    flow_id = imported(client, key)
    mensa = make_integration("Mensa", service_names=(MENSA.name,)).key
    for path in ("", "/notifications", "/export"):
        answer = client.get(f"/api/v1/flows/{flow_id}{path}", headers=bearer(mensa))
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == "Non sei abilitato a questo servizio."
    assert act(client, mensa, flow_id, "activate").status_code == 403
    assert client.get("/api/v1/flows/999999", headers=bearer(key)).status_code == 404


def test_the_routes_come_from_the_registry(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for command in ("activate", "send", "pause", "resume", "cancel", "retry-failed"):
        assert command in {a.command for a in API_ACTIONS}
        operation = paths[f"/api/v1/flows/{{flow_id}}/{command}"]["post"]
        assert operation["summary"] == f"«{BY_COMMAND[command].label}»"
    # People's decisions stay with people: approval, and single uncertain rows.
    assert not any(a.in_review or a.on_recipients for a in API_ACTIONS)


def test_each_action_runs_with_its_state_guard(client: TestClient, key: str) -> None:
    flow_id = imported(client, key)
    refused = act(client, key, flow_id, "pause")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["detail"] == (
        "Il flusso è «Inattivo»: «Sospendi» è possibile solo per un flusso «In invio»."
    )
    steps = [
        ("activate", "Attivo"),
        ("send", "In invio"),
        ("pause", "Sospeso"),
        ("resume", "In invio"),
        ("cancel", "Annullato"),
    ]
    for command, state in steps:
        answer = act(client, key, flow_id, command)
        assert answer.status_code == 200, answer.text
        assert answer.json()["flow"]["state"] == state
        assert answer.json()["message"] == BY_COMMAND[command].done_text(0)
    assert act(client, key, flow_id, "resume").status_code == 409


def test_retry_failed_resends_the_temporary_failures(
    client: TestClient, key: str, sessions: sessionmaker[Session]
) -> None:
    flow_id = imported(client, key)
    assert act(client, key, flow_id, "retry-failed").status_code == 409
    with sessions.begin() as session:
        session.get_one(Flow, flow_id).state = FlowState.INCOMPLETE
        row = session.scalars(select(Notification).where(Notification.flow_id == flow_id)).first()
        assert row is not None
        row.outcome, row.retryable = Outcome.ERROR, True
    answer = act(client, key, flow_id, "retry-failed")
    assert answer.status_code == 200, answer.text
    assert answer.json()["count"] == 1
    assert answer.json()["message"] == "1 destinatario di nuovo da inviare"
    assert answer.json()["flow"]["state"] == "In invio"


def test_the_same_file_sent_today_asks_for_force(client: TestClient, key: str) -> None:
    first, second = imported(client, key), imported(client, key)
    for flow_id in (first, second):
        assert act(client, key, flow_id, "activate").status_code == 200
    assert act(client, key, first, "send").status_code == 200
    asked = act(client, key, second, "send")
    assert asked.status_code == 409
    assert "già stato inviato oggi" in asked.json()["detail"]
    assert "force=true" in asked.json()["detail"]
    # Refused, it is still «Attivo»: nothing moved.
    assert act(client, key, second, "activate").status_code == 409
    confirmed = act(client, key, second, "send", force="true")
    assert confirmed.status_code == 200
    assert confirmed.json()["flow"]["state"] == "In invio"


def test_send_on_a_service_with_approval_waits_as_the_cli_says(
    client: TestClient, key: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        service = session.scalars(select(Service).where(Service.name == TARI.name)).one()
        service.approval_policy = ApprovalPolicy.ALWAYS
    flow_id = imported(client, key)
    act(client, key, flow_id, "activate")
    answer = act(client, key, flow_id, "send")
    assert answer.status_code == 200
    body = answer.json()
    assert body["flow"]["state"] == "In attesa di approvazione"
    assert body["message"] == "in attesa di approvazione di un altro operatore"
    assert body["flow"]["approval"]["requested_by"] == "api:Tributi"
    assert act(client, key, flow_id, "approve").status_code == 404  # not offered by the API


def test_recipients_page_by_cursor_stable_under_inserts(
    client: TestClient, key: str, sessions: sessionmaker[Session]
) -> None:
    flow_id = imported(client, key, count=7)
    url = f"/api/v1/flows/{flow_id}/notifications"
    first = client.get(url, headers=bearer(key), params={"limit": 3}).json()
    assert [i["row_number"] for i in first["items"]] == [2, 3, 4]
    item = first["items"][0]
    assert item["outcome"] == "da inviare" and item["fields"] == {"nome": "Cittadino 0"}
    # Rows added meanwhile, before and after the cursor.
    with sessions.begin() as session:
        of_flow = select(Notification).where(Notification.flow_id == flow_id)
        for row_number in (1, 99):
            row = session.scalars(of_flow).first()
            assert row is not None
            session.expunge(row)
            make_transient(row)
            row.id, row.row_number = None, row_number  # type: ignore[assignment]
            session.add(row)
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(url, headers=bearer(key), params={"limit": 3, "cursor": cursor}).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 8  # the 7 rows, and the one after the cursor
    bad = client.get(url, headers=bearer(key), params={"cursor": "nonvalido"})
    assert bad.status_code == 422 and "cursore" in bad.json()["detail"]
    assert client.get(url, headers=bearer(key), params={"limit": 501}).status_code == 422


def test_the_export_is_the_pages_workbook(client: TestClient, key: str) -> None:
    flow_id = imported(client, key, count=4)
    answer = client.get(f"/api/v1/flows/{flow_id}/export", headers=bearer(key))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX_MIME
    assert f'filename="flusso-{flow_id}.xlsx"' in answer.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = list(workbook["Destinatari"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Riga del file", "Codice fiscale", "Oggetto")
    assert len(rows) == 5


def test_a_payment_flow_without_payment_columns_asks_for_force(
    client: TestClient, key: str
) -> None:
    content = recipient_csv(fiscal_codes(2))
    asked = post_flow(client, key, content, fields(natura="Avviso di pagamento"))
    assert asked.status_code == 409
    assert "«force»: true" in asked.json()["detail"]
    confirmed = post_flow(client, key, content, fields(natura="Avviso di pagamento", force=True))
    assert confirmed.status_code == 201
    assert confirmed.json()["natura"] == "Avviso di pagamento"


def test_the_import_is_multipart_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/flows"]["post"]["requestBody"]["content"]
    schema = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = document["components"]["schemas"][schema]["properties"]
    assert properties["file"]["contentMediaType"] == "application/octet-stream"
    assert properties["flow"]["contentMediaType"] == "application/json"
    assert properties["flow"]["contentSchema"]["$ref"].endswith("/FlowIn")
    assert document["components"]["schemas"]["FlowIn"]["additionalProperties"] is False
