"""A flow sent through a real simulator process that misbehaves: 429 storms, 500s,
503s, timeouts and dropped connections. Every row must end in a final state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from httpx_aiohttp import AiohttpTransport
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.demo.accounts import DEMO_ACCOUNT, DEMO_SERVICES
from appio_core.domain import FlowState, Outcome
from appio_core.flows import actions, importing, queries
from appio_core.io.http import AiohttpIo, IoHttp
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.models import IoAccount, Notification

from .conftest import TEXT, fiscal_codes, recipient_csv, simulator_process
from .processes import Simulator, check_exactly_once

pytestmark = pytest.mark.slow


@pytest.fixture
def misbehaving_simulator(tmp_path: Path) -> Iterator[str]:
    config = {
        "processing_delay": 0.0,
        # A tight window, and no pacing on the client's side (below): a 429 storm.
        "accounts": [{"name": DEMO_ACCOUNT, "requests": 20, "window": 1.0}],
        "services": [
            {
                "service_id": s.io_service_id,
                "name": s.name,
                "primary_key": s.primary_key,
                "secondary_key": s.secondary_key,
                "account": DEMO_ACCOUNT,
            }
            for s in DEMO_SERVICES
        ],
        "faults": {
            "error_500_rate": 0.04,
            "error_503_rate": 0.05,
            "timeout_rate": 0.03,
            "drop_rate": 0.03,
            "timeout_seconds": 1.5,
        },
    }
    path = tmp_path / "simulator.yaml"
    path.write_text(yaml.safe_dump(config))
    with simulator_process("--config", str(path)) as url:
        yield url


def _client(kind: str) -> IoHttp | httpx.AsyncClient:
    if kind == "aiohttp":  # production's (appio_core.io.http.make_http_client)
        return AiohttpIo(connect_seconds=5.0, read_seconds=0.5)
    return httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(5.0, read=0.5))


@pytest.mark.parametrize("kind", ["aiohttp", "httpx-aiohttp"])
async def test_faults_end_with_every_row_final_and_the_flow_incomplete(
    kind: str,
    session: Session,
    sessions: sessionmaker[Session],
    keybox: KeyBox,
    demo: dict[str, int],
    misbehaving_simulator: str,
) -> None:
    account = session.query(IoAccount).filter_by(name=DEMO_ACCOUNT).one()
    # No client-side limiter: only IO's 429s (and the client's backoff) slow it down, as
    # when another installation spends the same account.
    account.rate_limit_requests = 0
    session.commit()
    actor = Actor.system()
    flow = importing.import_flow(
        session,
        actor,
        service_id=demo["Tributi - TARI"],
        name="guasti",
        natura="Comunicazione",
        source=recipient_csv(fiscal_codes(80, seed=4)),
        filename="guasti.csv",
        templates=importing.Templates(subject="Avviso per {{nome}}", text=TEXT),
    )
    actions.activate(session, actor, flow.id)
    actions.send(session, actor, flow.id)
    session.commit()
    http = _client(kind)
    dispatcher = Dispatcher(
        sessions,
        keybox,
        f"{misbehaving_simulator}/api/v1",
        DispatcherConfig(
            idle_sleep=0.05, retry_delays=(0.05, 0.1), max_attempts=3, status_first_check=3600
        ),
        http=http,
    )

    def finished() -> bool:
        with sessions() as s:
            return queries.get_flow(s, actor, flow.id).state != FlowState.SENDING

    await dispatcher.run(finished)
    session.expire_all()
    view = queries.get_flow(session, actor, flow.id)
    assert view.state == FlowState.INCOMPLETE
    assert sum(view.counts.values()) == 80
    assert Outcome.PENDING not in view.counts and Outcome.SENDING not in view.counts
    assert view.counts.get(Outcome.UNCERTAIN, 0) > 0  # 500s, timeouts and drops on sends
    record = httpx.get(f"{misbehaving_simulator}/__simulator/record").json()
    assert record["statuses"].get("429", 0) > 0  # the storm happened
    # Each outcome agrees with what IO has, however many answers the faults (or a slow
    # machine, past the 0.5 s read timeout) cost: an accepted row its one message, an
    # «esito incerto» at most one, the others none; no citizen twice.
    rows = session.query(Notification).filter(Notification.flow_id == flow.id).all()
    check_exactly_once(Simulator(misbehaving_simulator).sends(), rows)
