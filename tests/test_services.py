"""Services: creation, editing, masked keys, encryption at rest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import (
    ServiceInput,
    api_keys,
    create_service,
    list_services,
    update_service,
)
from appio_core.errors import Conflict, InvalidInput

VALID = ServiceInput(
    name="Tributi",
    io_service_id="01JTRIBUTI",
    primary_key="primarykey-abcdef-1234",
    secondary_key="secondarykey-xyz-9876",
    organization_fiscal_code="01234567890",
)

INVALID_INPUTS = (
    ({"name": "  "}, "Indica il nome del servizio."),
    ({"io_service_id": "id con spazi"}, "Identificativo del servizio IO non valido"),
    ({"primary_key": None}, "Indica la chiave primaria del servizio."),
    ({"primary_key": "short"}, "Chiave primaria non valida"),
    ({"secondary_key": "has space 12345"}, "Chiave secondaria non valida"),
    ({"organization_fiscal_code": "1234"}, "Il codice fiscale dell'ente deve avere 11 cifre."),
    ({"max_payment_amount": 0}, "L'importo massimo di pagamento deve essere tra"),
)


def test_a_new_service_shows_only_the_last_four_characters_of_its_keys(
    session: Session, admin: Actor, keybox: KeyBox
) -> None:
    create_service(session, admin, VALID, keybox)
    [view] = list_services(session, admin)
    assert view.primary_key == "••••1234"
    assert view.secondary_key == "••••9876"
    assert "primarykey" not in repr(view)


def test_keys_are_encrypted_in_the_database_and_readable_with_the_secret_key(
    session: Session, admin: Actor, keybox: KeyBox, engine: Engine
) -> None:
    service = create_service(session, admin, VALID, keybox)
    session.commit()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM services")).one()
    assert all("primarykey-abcdef" not in str(value) for value in stored)
    keys = api_keys(session, admin, service.id, keybox)
    assert keys.primary == "primarykey-abcdef-1234"
    assert keys.secondary == "secondarykey-xyz-9876"


@pytest.mark.backends("sqlite")  # the column check above covers PostgreSQL
def test_the_sqlite_file_does_not_contain_a_key_in_plain_text(
    session: Session, admin: Actor, keybox: KeyBox, db_url: str
) -> None:
    create_service(session, admin, VALID, keybox)
    session.commit()
    path = db_url.removeprefix("sqlite:///")
    session.get_bind().dispose()  # type: ignore[union-attr]
    stored = b"".join(p.read_bytes() for p in Path(path).parent.glob("appio.db*"))
    assert b"primarykey-abcdef" not in stored


@pytest.mark.parametrize(("change", "message"), INVALID_INPUTS)
def test_invalid_service_data_is_refused_with_a_message_that_says_what_to_fix(
    session: Session, admin: Actor, keybox: KeyBox, change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        create_service(session, admin, dataclasses.replace(VALID, **change), keybox)
    assert info.value.message.startswith(message)


def test_two_services_cannot_share_a_name_or_an_io_id(
    session: Session, admin: Actor, keybox: KeyBox
) -> None:
    create_service(session, admin, VALID, keybox)
    with pytest.raises(Conflict, match="con questo nome"):
        create_service(session, admin, dataclasses.replace(VALID, io_service_id="other"), keybox)
    with pytest.raises(Conflict, match="identificativo IO"):
        create_service(session, admin, dataclasses.replace(VALID, name="Altro"), keybox)


def test_editing_without_keys_keeps_the_stored_keys(
    session: Session, admin: Actor, keybox: KeyBox
) -> None:
    service = create_service(session, admin, VALID, keybox)
    edit = dataclasses.replace(
        VALID, name="Tributi comunali", primary_key=None, secondary_key=None, account="secondo"
    )
    update_service(session, admin, service.id, edit, keybox)
    [view] = list_services(session, admin)
    assert (view.name, view.account, view.primary_key) == (
        "Tributi comunali",
        "secondo",
        "••••1234",
    )
    assert api_keys(session, admin, service.id, keybox).primary == "primarykey-abcdef-1234"


def test_editing_with_a_new_key_replaces_it(session: Session, admin: Actor, keybox: KeyBox) -> None:
    service = create_service(session, admin, VALID, keybox)
    update_service(
        session,
        admin,
        service.id,
        dataclasses.replace(VALID, primary_key="new-primary-key-0000"),
        keybox,
    )
    assert api_keys(session, admin, service.id, keybox).primary == "new-primary-key-0000"
