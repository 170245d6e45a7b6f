"""POST /api/v1/notifications (a message queued for the worker), GET one, GET the archive
with a cursor. Routes translate HTTP to the core (notifications.queued, detail, archive)
and back; the rules and the permissions are the core's."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from appio_core.accounts.services import find_service
from appio_core.api.context import api_context, caller_with
from appio_core.api.notification_forms import (
    NotificationIn,
    NotificationOut,
    NotificationPage,
    NotificationRowOut,
    api_field_errors,
    as_out,
    new_notification,
)
from appio_core.api.problems import COMMON, responses
from appio_core.domain import Outcome
from appio_core.errors import InvalidInput, NotFound, PermissionDenied
from appio_core.integrations.keys import Caller
from appio_core.integrations.scopes import Scope
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.archive_keyset import rows_before
from appio_core.notifications.content import FieldErrors
from appio_core.notifications.detail import get_detail
from appio_core.notifications.json_forms import detail_json, row_json
from appio_core.notifications.queued import queue_new
from appio_core.notifications.request_keys import (
    REQUEST_KEY_LENGTH,
    RequestKeyReused,
    check_request_key,
)
from appio_core.numbers import MAX_ROW_ID, whole_number
from appio_core.paging import MAX_PAGE_SIZE
from appio_core.storage.db import session_scope

router = APIRouter(tags=["Notifiche"])

Sender = Annotated[Caller, Depends(caller_with(Scope.SEND_NOTIFICATIONS))]
Reader = Annotated[Caller, Depends(caller_with(Scope.READ_NOTIFICATIONS))]


# The days a filter may name: a day beyond them has no time in UTC to compare with.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _not_found(notification_id: int) -> NotFound:
    # The same answer for a notification of another service as for none: a key learns
    # nothing of what it may not read.
    return NotFound(f"Notifica {notification_id} non trovata.")


@router.post(
    "/notifications",
    summary="Invia un messaggio a un cittadino (in coda per il worker)",
    status_code=202,
    response_model=NotificationOut,
    responses={
        200: {"model": NotificationOut, "description": "Ripetizione: la notifica già accettata"},
        **responses(*COMMON, 404),
    },
)
def post_notification(
    request: Request,
    body: NotificationIn,
    caller: Sender,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=REQUEST_KEY_LENGTH,
            description="Una chiave per richiesta (per esempio un UUID): la stessa richiesta"
            " ripetuta con la stessa chiave non invia di nuovo.",
        ),
    ],
) -> JSONResponse:
    """I campi di «Nuova notifica», con le stesse verifiche; oppure un modello salvato
    (`template`) con i valori dei suoi segnaposto (`values`). Risponde 202 con la notifica
    «da inviare»; la stessa chiave con la stessa richiesta risponde 200 con la stessa
    notifica, con un'altra richiesta 422."""
    context = api_context(request)
    try:
        check_request_key(idempotency_key)
    except InvalidInput as bad:
        raise FieldErrors({"Idempotency-Key": bad.message}) from None
    try:
        queued = queue_new(
            context.sessions,
            caller.actor,
            lambda session: new_notification(session, caller.actor, body, idempotency_key),
            context.box,
        )
    except FieldErrors as errors:
        raise api_field_errors(errors) from None
    except RequestKeyReused as reused:
        raise InvalidInput(
            "L'Idempotency-Key è già stata usata per un'altra richiesta (notifica n."
            f" {reused.notification_id}): questa non è stata accettata. Usa una chiave nuova."
        ) from None
    status = 200 if queued.repeated else 202
    body_out = as_out(detail_json(queued.detail)).model_dump(mode="json")
    return JSONResponse(body_out, status_code=status)


@router.get(
    "/notifications/{notification_id}",
    summary="Lo stato di una notifica",
    response_model=NotificationOut,
    responses=responses(*COMMON, 404),
)
def get_notification(
    request: Request,
    notification_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Il numero.")],
    caller: Reader,
) -> NotificationOut:
    """Esito, ID del messaggio su IO, stato su IO, lettura e pagamento (ADVANCED), orari."""
    with session_scope(api_context(request).sessions) as session:
        try:
            detail = get_detail(session, caller.actor, notification_id)
        except (NotFound, PermissionDenied):
            raise _not_found(notification_id) from None
    return as_out(detail_json(detail))


def _cursor(row_id: int | None) -> str | None:
    return None if row_id is None else base64.urlsafe_b64encode(f"v1:{row_id}".encode()).decode()


def _before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        version, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        number = whole_number(row_id, MAX_ROW_ID)
        if version != "v1" or number is None:
            raise ValueError(cursor)
        return number
    except ValueError:
        raise FieldErrors({"cursor": "cursore non valido: usa il next_cursor ricevuto"}) from None


@router.get(
    "/notifications",
    summary="L'archivio delle notifiche, le più recenti prima",
    response_model=NotificationPage,
    responses=responses(*COMMON, 404),
)
def list_notifications(
    request: Request,
    caller: Reader,
    service: Annotated[str | None, Query(description="Nome o ID IO del servizio.")] = None,
    fiscal_code: Annotated[str | None, Query(max_length=40)] = None,
    flow: Annotated[str | None, Query(max_length=200, description="Numero o nome")] = None,
    single: Annotated[bool, Query(description="Solo le notifiche singole.")] = False,
    outcome: Outcome | None = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    sent_from: Annotated[
        date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Inviate dal giorno (ISO).")
    ] = None,
    sent_to: Annotated[
        date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Inviate fino al giorno (ISO).")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> NotificationPage:
    """Gli stessi filtri dell'archivio; a pagine con un cursore, stabili anche mentre
    arrivano nuove notifiche."""
    before = _before(cursor)
    with session_scope(api_context(request).sessions) as session:
        service_id = find_service(session, caller.actor, service).id if service else None
        filters = NotificationFilters(
            service_id=service_id,
            fiscal_code=fiscal_code or "",
            flow=flow or "",
            only_single=single,
            outcome=outcome,
            subject_contains=subject or "",
            sent_from=sent_from,
            sent_to=sent_to,
        )
        rows, following = rows_before(session, caller.actor, filters, before, limit)
        items = [NotificationRowOut.model_validate(row_json(r)) for r in rows]
    return NotificationPage(items=items, next_cursor=_cursor(following))
