"""The notifications' request and answer bodies, and the request translated to the core's
«Nuova notifica» (NewNotification): the fields named as `appio notification show --format
json` names them, amounts in euro cents and dates in ISO 8601 (the API is for machines),
checked by the form's own rules."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.accounts.services import find_service_id
from appio_core.api.request_models import RequestModel
from appio_core.content.amounts import typed_cents
from appio_core.domain import FeatureLevel, Outcome
from appio_core.notifications import content
from appio_core.notifications.content import FieldErrors
from appio_core.notifications.single import NewNotification
from appio_core.numbers import MAX_ID, MAX_ROW_ID
from appio_core.templates.apply import single_from_template
from appio_core.templates.queries import get_template, get_template_by_id
from appio_core.templates.use import TemplateRef

# An ISO 8601 date, optionally with its time and zone («2026-12-31»,
# «2026-12-31T18:00:00+01:00»); whether it exists is the form's rule (parse_due_date).
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.,]+(Z|z|[+-][0-9:]+)?)?$"

# The form's fields (content.py) as the API names them.
API_FIELDS = {
    content.FISCAL_CODE: "fiscal_code",
    content.SUBJECT: "subject",
    content.TEXT: "markdown",
    content.AMOUNT: "amount",
    content.NOTICE_NUMBER: "notice_number",
    content.DUE_DATE: "due_date",
    content.BUTTONS: "template",  # buttons come only from a template
}


class NotificationIn(RequestModel):
    """One message to one citizen: its fields, or a saved template and its values."""

    service_name: str | None = Field(None, max_length=200, description="Nome del servizio.")
    service_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Numero del servizio (GET /services)."
    )
    fiscal_code: str = Field(max_length=40, description="Codice fiscale del destinatario.")
    subject: str | None = Field(None, max_length=1000, description="Oggetto (10-120 caratteri).")
    markdown: str | None = Field(None, max_length=100_000, description="Testo (markdown).")
    amount: int | None = Field(
        None, ge=0, le=MAX_ROW_ID, description="Importo in centesimi di euro (avviso pagoPA)."
    )
    notice_number: str | None = Field(None, max_length=40, description="Numero avviso pagoPA.")
    due_date: str | None = Field(None, pattern=ISO_DATE, description="Scadenza, ISO 8601.")
    feature_level: FeatureLevel | None = Field(None, description="STANDARD (default) o ADVANCED.")
    template: str | int | None = Field(
        None, description=f"Un modello salvato: nome, o numero (da 1 a {MAX_ID})."
    )
    values: dict[str, str] | None = Field(
        None, description="I valori dei {{segnaposto}} del modello."
    )

    @field_validator("template")
    @classmethod
    def _template_number(cls, value: str | int | None) -> str | int | None:
        # Here rather than as the union's constraint: pydantic would then name the field
        # after each of the union's branches («template.str», «template.constrained-int»).
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise ValueError(f"il numero di un modello va da 1 a {MAX_ID}")
        return value


class NotificationOut(BaseModel):
    """A notification as `appio notification show --format json` prints it."""

    model_config = ConfigDict(extra="allow")

    id: int
    flow_id: int | None
    service_id: int
    service_name: str
    fiscal_code: str
    subject: str
    outcome: Outcome
    outcome_explained: str
    error_detail: str | None
    io_message_id: str | None
    io_status: str
    read_status: str
    payment_status: str
    feature_level: FeatureLevel
    amount: int | None
    notice_number: str | None
    due_date: str | None
    created_by: str
    created_at: str
    send_started_at: str | None
    sent_at: str | None


class NotificationRowOut(BaseModel):
    """A line of the archive, as `appio notification list --format json` prints it."""

    model_config = ConfigDict(extra="allow")

    id: int
    flow_id: int | None
    service: str
    fiscal_code: str
    subject: str
    outcome: Outcome
    io_message_id: str | None
    io_status: str
    created_at: str
    sent_at: str | None


class NotificationPage(BaseModel):
    items: list[NotificationRowOut]
    next_cursor: str | None = Field(description="Per la pagina seguente; null: non ce ne sono.")


def _service_id(session: Session, actor: Actor, body: NotificationIn) -> int:
    if (body.service_name is None) == (body.service_id is None):
        raise FieldErrors({"service_name": "Indica service_name oppure service_id (uno solo)."})
    if body.service_id is not None:
        return body.service_id
    assert body.service_name is not None
    return find_service_id(session, actor, body.service_name)


def new_notification(
    session: Session, actor: Actor, body: NotificationIn, request_key: str
) -> NewNotification:
    """The request as «Nuova notifica» takes it (a template applied as «Usa un modello»);
    every field is then checked by check_new."""
    service_id = _service_id(session, actor, body)
    ref: TemplateRef | None = None
    subject, text = body.subject, body.markdown
    level = body.feature_level or FeatureLevel.STANDARD
    buttons: tuple[tuple[str, str, str], ...] = ()
    secure = False
    if body.template is not None:
        used = (
            get_template_by_id(session, actor, body.template)
            if isinstance(body.template, int)
            else get_template(session, actor, body.template)
        )
        filled = single_from_template(used, body.values or {}, subject, text, body.feature_level)
        ref, subject, text, level = filled.ref, filled.subject, filled.text, filled.feature_level
        buttons = tuple((b.label, b.action, b.label_en) for b in filled.buttons)
        secure = filled.secure_channel
    elif body.values is not None:
        raise FieldErrors({"values": "I valori servono solo con un modello («template»)."})
    missing = {
        name: "campo obbligatorio mancante"
        for name, value in (("subject", subject), ("markdown", text))
        if value is None
    }
    if missing:
        raise FieldErrors(missing)
    assert subject is not None and text is not None
    return NewNotification(
        service_id=service_id,
        fiscal_code=body.fiscal_code,
        subject=subject,
        text=text,
        amount=typed_cents(body.amount) if body.amount is not None else "",
        notice_number=body.notice_number or "",
        due_date=body.due_date or "",
        feature_level=level,
        request_key=request_key,
        buttons=buttons,
        secure_channel=secure,
        template=ref,
    )


def api_field_errors(errors: FieldErrors) -> FieldErrors:
    """The form's errors named as the request's fields."""
    return FieldErrors({API_FIELDS.get(name, name): m for name, m in errors.fields.items()})


def as_out(data: dict[str, Any]) -> NotificationOut:
    return NotificationOut.model_validate(data)
