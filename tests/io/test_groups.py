"""Refusals for a permission PagoPA has not granted the service become an Italian explanation
of what to ask PagoPA for (issue 16): IO's own words read once (appio_core.io.groups), the
client raising MissingPermission, and the simulator answering as IO does."""

from __future__ import annotations

from dataclasses import replace

import pytest
from io_helpers import MENSA, TRIBUTI, TRIBUTI_KEYS, FakeClock, client_on, simulator
from test_io_client_faults import KEYS, MESSAGE, Script, io, problem

from appio_core.domain import FeatureLevel
from appio_core.io import groups
from appio_core.io.errors import (
    AmountAboveMaximum,
    Forbidden,
    IoError,
    MissingPermission,
    RecipientForbidden,
)
from appio_core.io.groups import Operation, missing_grant
from appio_core.io.models import TEST_FISCAL_CODE, ApiKeys, NewMessage
from appio_core.io.simulator import create_app, demo_config

NOT_ALLOWED = "You are not allowed here"
DEFAULT = "You do not have enough permission to complete the operation you requested"
PREMIUM = "You do not have enough permissions to send a Premium message"
PAYEE = "You do not have enough permissions to send a payment message with payee"

# (case, operation, IO's title, IO's detail, the group PagoPA names, a phrase of the Italian)
REFUSALS: list[tuple[str, Operation, str, str, str | None, str]] = [
    ("premium", Operation.SEND, NOT_ALLOWED, PREMIUM, "ApiMessageWriteAdvanced",
     "non è abilitato da PagoPA ai messaggi avanzati"),
    ("payee", Operation.SEND, NOT_ALLOWED, PAYEE, "ApiMessageWriteWithPayee",
     "ente creditore diverso da sé"),
    ("third party", Operation.SEND, NOT_ALLOWED,
     "You do not have enough permissions to send a third party message",
     "ApiThirdPartyMessageWrite", "contenuto remoto"),
    ("no sending group", Operation.SEND, NOT_ALLOWED, DEFAULT, "ApiMessageWrite",
     "non è abilitata da PagoPA a inviare messaggi"),
    ("production", Operation.SEND, "Production call forbidden",
     "You are not allowed to issue production calls at this time.", "ApiMessageWrite",
     "non è abilitata da PagoPA all'invio ai cittadini"),
    ("no group at all", Operation.SEND, "User has no valid scopes",
     "You are not part of any valid scope, you should ask the administrator to give you the"
     " required permissions.", None, "non ha nessun permesso su IO"),
    ("profiles", Operation.PROFILE, NOT_ALLOWED, DEFAULT, "ApiLimitedProfileRead",
     "verificare se un cittadino usa IO"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "title", "detail", "group", "phrase"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_each_missing_permission_is_named_with_what_to_ask_pagopa(
    operation: Operation, title: str, detail: str, group: str | None, phrase: str
) -> None:
    grant = missing_grant(operation, title, detail)
    assert grant is not None
    assert grant.group == group
    assert phrase in grant.explanation
    assert "chiedi a PagoPA" in grant.explanation
    # Italian for the operator: IO's English stays out of the explanation.
    assert title not in grant.explanation and detail not in grant.explanation


# 403s that are not a missing permission: the recipient, another service's message.
OTHER_403 = [
    (Operation.SEND, "Recipient forbidden",
     "You are not allowed to issue requests for the recipient."),
    (Operation.STATUS, NOT_ALLOWED, DEFAULT),
    (Operation.SEND, "Attachments call forbidden",
     "You are not allowed to send messages with attachmens"),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "title", "detail"), OTHER_403)
def test_other_refusals_are_not_taken_for_a_missing_permission(
    operation: Operation, title: str, detail: str
) -> None:
    assert missing_grant(operation, title, detail) is None


async def test_the_client_raises_the_explanation_for_a_premium_refusal(clock: FakeClock) -> None:
    advanced = replace(MESSAGE, feature_level_type=FeatureLevel.ADVANCED)
    script = Script(problem(403, NOT_ALLOWED, PREMIUM))
    with pytest.raises(MissingPermission) as raised:
        await io(script, clock).send_message(KEYS, advanced)
    assert raised.value.message == groups.ADVANCED.explanation
    assert raised.value.message == (
        "Il servizio non è abilitato da PagoPA ai messaggi avanzati (con stato di lettura e di"
        " pagamento): chiedi a PagoPA, dall'Area riservata di IO, di abilitare il servizio ai"
        " messaggi avanzati (permesso «ApiMessageWriteAdvanced»), oppure invia il messaggio"
        " senza «Messaggio avanzato»."
    )
    assert (raised.value.status, raised.value.group) == (403, "ApiMessageWriteAdvanced")
    assert (raised.value.title, raised.value.detail) == (NOT_ALLOWED, PREMIUM)  # kept for logs
    assert isinstance(raised.value, Forbidden)  # still a permanent refusal
    assert len(script.requests) == 1


async def test_a_profile_check_without_its_permission_is_explained(clock: FakeClock) -> None:
    script = Script(problem(403, NOT_ALLOWED, DEFAULT))
    with pytest.raises(MissingPermission) as raised:
        await io(script, clock).get_profile(KEYS, MESSAGE.fiscal_code)
    assert raised.value.group == "ApiLimitedProfileRead"
    assert len(script.requests) == 1  # a permanent refusal is not retried


async def test_an_amount_above_the_services_maximum_on_io_is_explained_in_euro(
    clock: FakeClock,
) -> None:
    detail = (
        "The requested amount (123456 cents) exceeds the maximum allowed for this service"
        " (100000 cents)"
    )
    script = Script(problem(400, "Error while sending payment metadata", detail))
    with pytest.raises(AmountAboveMaximum) as raised:
        await io(script, clock).send_message(KEYS, MESSAGE)
    assert raised.value.message == (
        "L'importo di € 1.234,56 supera il massimo che PagoPA consente a questo servizio"
        " (€ 1.000,00): chiedi a PagoPA, dall'Area riservata di IO, di alzare l'importo massimo"
        " del servizio, e aggiornalo nella pagina Servizi; oppure correggi l'importo."
    )
    assert raised.value.status == 400


# -- the simulator answers as IO does -------------------------------------------------


async def test_the_simulator_refuses_premium_messages_to_a_service_without_the_permission() -> None:
    app = simulator(rate_limit=False)
    mensa = ApiKeys(MENSA.primary_key, MENSA.secondary_key)
    client = client_on(app)
    message = NewMessage(
        TEST_FISCAL_CODE,
        "Mensa scolastica: menù",
        "Gentile famiglia, il menù invernale della mensa scolastica è pubblicato sul sito. " * 2,
        feature_level_type=FeatureLevel.ADVANCED,
    )
    with pytest.raises(MissingPermission) as raised:
        await client.send_message(mensa, message)
    assert raised.value.group == "ApiMessageWriteAdvanced"
    assert (raised.value.title, raised.value.detail) == (NOT_ALLOWED, PREMIUM)
    assert app.record.messages == {}
    # The same message as STANDARD goes out; TARI has the permission and sends it ADVANCED.
    await client.send_message(mensa, replace(message, feature_level_type=FeatureLevel.STANDARD))
    await client.send_message(TRIBUTI_KEYS, message)
    assert len(app.record.messages) == 2
    await client.aclose()


@pytest.mark.parametrize(
    ("granted", "call", "error", "group"),
    [
        ({"can_check_profiles": False}, "profile", MissingPermission, "ApiLimitedProfileRead"),
        ({"can_send": False}, "send", MissingPermission, "ApiMessageWrite"),
        ({"limited": True}, "send", RecipientForbidden, None),  # a recipient, not a group
    ],
    ids=["profiles", "sending", "limited"],
)
async def test_the_simulator_refuses_what_the_service_was_not_granted(
    granted: dict[str, bool], call: str, error: type[IoError], group: str | None
) -> None:
    services = tuple(
        replace(s, **granted) if s.service_id == TRIBUTI.io_service_id else s  # type: ignore[arg-type]
        for s in demo_config().services
    )
    app = create_app(replace(demo_config(rate_limit=False), services=services))
    client = client_on(app)
    cf = "RSSMRA80A01H501U"
    with pytest.raises(error) as raised:
        if call == "profile":
            await client.get_profile(TRIBUTI_KEYS, cf)
        else:
            await client.send_message(TRIBUTI_KEYS, replace(MESSAGE, fiscal_code=cf))
    assert getattr(raised.value, "group", None) == group
    await client.aclose()
