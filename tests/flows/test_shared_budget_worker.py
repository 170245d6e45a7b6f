"""The worker's side of an account's shared budget: the share it keeps for single messages
and checks (APPIO_SINGLE_RESERVE_PERCENT), written in the budget while it sends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.cli import cli
from appio_core.errors import InvalidInput
from appio_core.flows import actions
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.models import Service
from appio_core.storage.runtime_models import AccountBudget

from .conftest import fiscal_codes, imported_flow

NAME = "APPIO_SINGLE_RESERVE_PERCENT"
MEANING = (
    "(la percentuale del limite di IO tenuta per i messaggi singoli e le verifiche mentre un"
    " flusso invia)"
)


@pytest.mark.parametrize(("value", "percent"), [(None, 10), ("25", 25), ("5%", 5), (" 50 ", 50)])
def test_the_share_kept_for_single_messages_is_read_from_the_environment(
    value: str | None, percent: int
) -> None:
    env = {} if value is None else {NAME: value}
    assert DispatcherConfig.from_env(env).single_reserve_percent == percent


@pytest.mark.parametrize("value", ["dieci", "0", "51", "10,5", "-5"])
def test_a_share_that_is_not_a_whole_percent_from_1_to_50_is_refused_in_italian(
    value: str,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        DispatcherConfig.from_env({NAME: value})
    assert refused.value.message == (
        f"{NAME} deve essere un numero intero da 1 a 50 {MEANING}, non «{value}»."
    )


def test_appio_worker_refuses_a_wrong_share_in_one_line(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NAME, "tanto")
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Errore: {NAME} deve essere un numero intero da 1 a 50 {MEANING}, non «tanto»."
    )


async def test_a_worker_sending_writes_its_presence_and_the_share_it_keeps_in_the_budget(
    session: Session,
    operator: Actor,
    demo: dict[str, int],
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    service = session.get(Service, demo["Tributi - TARI"])
    assert service is not None
    service.account.rate_limit_requests = 150  # paced: the limiter watches the budget
    flow = imported_flow(session, operator, service.id, fiscal_codes(5))
    actions.activate(session, operator, flow.id)
    actions.send(session, operator, flow.id)
    session.commit()
    await make_dispatcher(single_reserve_percent=20, status_first_check=3600.0).run(once=True)
    budget = session.get(AccountBudget, service.account_id)
    assert budget is not None
    # 20% of 150 kept for the others while they use it; the worker books nothing itself.
    assert (budget.reserve, budget.bookings) == (30, 0)
    assert budget.worker_until > 0
