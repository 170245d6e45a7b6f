"""The flows over HTTP: POST /api/v1/flows (a recipient file and the flow's fields, through
the same import, sandbox and limits as the page and `appio flow import`), and reading a
flow, its recipients (keyset paging) and its export. The actions are flow_actions.py.

A flow outside the key's services answers 403, as the core refuses it (the same as a
service outside them): the pages and the CLI say the same.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Json

from appio_core.api.context import api_context, caller_with
from appio_core.api.flow_models import FlowIn, FlowOut, RecipientOut, RecipientPageOut
from appio_core.api.problems import COMMON, PROBLEM_TYPE, TITLES, Problem, responses
from appio_core.content import cta
from appio_core.domain import FeatureLevel, Natura
from appio_core.exports.workbooks import XLSX_MIME
from appio_core.flows import queries
from appio_core.flows.confirmations import ConfirmationNeeded
from appio_core.flows.recipient_page import recipient_page
from appio_core.flows.status_data import flow_status_data, iso
from appio_core.integrations.keys import Caller
from appio_core.integrations.scopes import Scope
from appio_core.notifications.content import FieldErrors
from appio_core.numbers import MAX_ID
from appio_core.paging import MAX_PAGE_SIZE
from appio_core.storage.db import session_scope

router = APIRouter(tags=["Flussi"])

MANAGE = Annotated[Caller, Depends(caller_with(Scope.MANAGE_FLOWS))]
READ = Annotated[Caller, Depends(caller_with(Scope.READ_FLOWS))]
# A flow's number as the database can hold it (Flow.id is an INTEGER).
FlowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Il numero del flusso.")]
FLOW_NOT_READABLE = (404, 403)
# The export is written whole (in the caller's transaction, with its audit entry) before it
# is streamed: in memory up to this size, on disk beyond.
_SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK = 256 * 1024


class FileProblem(Problem):
    """A refused recipient file: the problem, and the «Verifica file» report (as `appio flow
    import` prints it) with each wrong row and column."""

    report: dict[str, Any] | None = None  # only for a refused file, not for wrong fields


def confirm_problem(message: str, how: str) -> JSONResponse:
    """409 for a ConfirmationNeeded: the core's words and how to confirm through the API."""
    return problem(409, f"{message} {how}")


def problem(status: int, detail: str, **extensions: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Errore"), "status": status}
    return JSONResponse({**body, "detail": detail, **extensions}, status, media_type=PROBLEM_TYPE)


def _columns(flow: FlowIn) -> tuple[tuple[str, str], ...]:
    """`columns` as `--column NOME=significato` reads them (header → role)."""
    from appio_core.recipient_file.columns import UnknownRole, role_of_label

    chosen = []
    wrong = {}
    for header, meaning in flow.columns.items():
        try:
            chosen.append((header, role_of_label(meaning)))
        except UnknownRole as exc:
            wrong[f"flow.columns.{header}"] = str(exc)
    if wrong:
        raise FieldErrors(wrong)
    return tuple(chosen)


def _buttons(flow: FlowIn) -> cta.Buttons:
    typed = [(b.label, b.action, b.label_en) for b in flow.cta]
    try:
        return cta.check_buttons(typed)
    except cta.CtaError as exc:
        raise FieldErrors({"flow.cta": exc.message}) from None


@router.post(
    "/flows",
    status_code=201,
    summary="Crea un flusso (Inattivo) da un file di destinatari",
    description="Multipart: `file` (.csv o .xlsx, gli stessi controlli e limiti del"
    " caricamento dalla pagina) e `flow` (JSON, i campi di `appio flow import`). Un file con"
    " errori: 422 con il resoconto di «Verifica file» in `report`; nulla è importato.",
    response_model=FlowOut,
    responses={
        **responses(*COMMON, 404, 409),
        422: {
            "model": FileProblem,
            "description": "Dati o file non validi",
            "content": {PROBLEM_TYPE: {}},
        },
    },
)
def import_flow(
    request: Request,
    caller: MANAGE,
    file: Annotated[UploadFile, File(description="Il file dei destinatari (.csv o .xlsx).")],
    flow: Annotated[Json[FlowIn], Form(description="I campi del flusso, in JSON.")],
) -> Any:
    from appio_core.accounts.services import find_service
    from appio_core.flows import importing
    from appio_core.templates.apply import with_template
    from appio_core.templates.queries import get_template

    templates = importing.Templates(
        flow.subject_template, flow.text_template, flow.sheet, _columns(flow)
    )
    options = importing.FlowOptions(
        description=flow.description,
        check_profile=not flow.no_profile_check,
        feature_level=FeatureLevel.chosen(flow.advanced),
        scheduled_at=flow.scheduled_at,
        status_check_hours=flow.status_check_hours,
        buttons=_buttons(flow),
        secure_channel=flow.secure_channel,
    )
    natura = flow.natura.value if flow.natura else None
    try:
        with session_scope(api_context(request).sessions) as session:
            service = find_service(session, caller.actor, flow.service)
            if flow.template is not None:
                used = get_template(session, caller.actor, flow.template)
                natura, templates, options = with_template(used, natura, templates, options)
            made = importing.import_flow(
                session,
                caller.actor,
                service_id=service.id,
                name=flow.name,
                natura=natura or Natura.COMMUNICATION.value,
                source=file.file,
                filename=file.filename or "destinatari.csv",
                templates=templates,
                options=options,
                force=flow.force,
            )
            data = flow_status_data(queries.get_flow(session, caller.actor, made.id))
    except ConfirmationNeeded as exc:
        return confirm_problem(exc.message, "Ripeti la richiesta con «force»: true in «flow».")
    except importing.FlowFileRefused as refused:
        return problem(422, refused.message, report=refused.report.to_dict())
    return data


@router.get(
    "/flows/{flow_id}",
    summary="Un flusso, con i destinatari per esito",
    response_model=FlowOut,
    responses=responses(*COMMON, *FLOW_NOT_READABLE),
)
def get_flow(request: Request, caller: READ, flow_id: FlowId) -> Any:
    with session_scope(api_context(request).sessions) as session:
        return flow_status_data(queries.get_flow(session, caller.actor, flow_id))


@router.get(
    "/flows/{flow_id}/notifications",
    summary="I destinatari di un flusso, nell'ordine del file",
    description="Paginati con un cursore: una pagina segue l'ultima letta anche se nel"
    " frattempo altre righe sono state aggiunte o cambiate.",
    response_model=RecipientPageOut,
    responses=responses(*COMMON, *FLOW_NOT_READABLE),
)
def get_flow_notifications(
    request: Request,
    caller: READ,
    flow_id: FlowId,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> RecipientPageOut:
    with session_scope(api_context(request).sessions) as session:
        page = recipient_page(session, caller.actor, flow_id, cursor, limit)
    items = [
        RecipientOut.model_validate(
            {**item.__dict__, "sent_at": iso(item.sent_at), "purged_at": iso(item.purged_at)}
        )
        for item in page.items
    ]
    return RecipientPageOut(items=items, next_cursor=page.next_cursor)


@router.get(
    "/flows/{flow_id}/export",
    summary="I destinatari di un flusso con i loro esiti, in Excel",
    description="Lo stesso file di «Esporta» sulla pagina del flusso e di `appio flow export`.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}},
        **responses(*COMMON, *FLOW_NOT_READABLE),
    },
)
def export_flow(request: Request, caller: READ, flow_id: FlowId) -> StreamingResponse:
    from appio_core.exports.workbooks import write_flow_recipients

    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    try:
        with session_scope(api_context(request).sessions) as session:
            write_flow_recipients(session, caller.actor, flow_id, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(
        _chunks(spool),
        media_type=XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="flusso-{flow_id}.xlsx"'},
    )


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := spool.read(_CHUNK):
            yield block
    finally:
        spool.close()
