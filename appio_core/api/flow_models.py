"""The request and response schemas of the flows' routes: a flow's fields named as
`appio flow import` names its options, the flow as `appio flow status --format json`
gives it (appio_core.flows.status_data), its recipients as its export has them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from appio_core.api.request_models import RequestModel
from appio_core.domain import FlowState, Natura


class ButtonIn(RequestModel):
    """A button under the text (as `--cta «Etichetta|Label=azione»`)."""

    label: str = Field(description="L'etichetta in italiano.")
    action: str = Field(description="https://…, tel:…, mailto:… o iosso://https://…")
    label_en: str = Field("", description="L'etichetta in inglese (facoltativa).")


class FlowIn(RequestModel):
    """The `flow` part of POST /flows: the options of `appio flow import`, by the same
    names. Any other field is refused."""

    service: str = Field(min_length=1, description="Il nome del servizio (GET /services).")
    name: str = Field(description="Il nome del flusso.")
    natura: Natura | None = Field(
        None, description="Di norma quella del modello, altrimenti «Comunicazione»."
    )
    description: str = ""
    template: str | None = Field(
        None,
        description="Un modello salvato, NOME[@VERSIONE]: oggetto, testo, natura, colonne e"
        " livello; gli altri campi li cambiano per questo flusso soltanto.",
    )
    subject_template: str | None = Field(None, description="Es. «Avviso per {{nome}}».")
    text_template: str | None = Field(None, description="Il testo (Markdown) con i segnaposto.")
    sheet: str | None = Field(None, description="Il foglio da leggere in un .xlsx (il primo).")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Il significato di alcune colonne, intestazione → significato (codice"
        " fiscale, importo pagoPA, numero avviso pagoPA, scadenza, oggetto, testo, solo testo).",
    )
    no_profile_check: bool = Field(False, description="Non verificare prima il profilo IO.")
    advanced: bool = Field(False, description="Messaggi ADVANCED (lettura e pagamento).")
    status_check_hours: int = Field(48, ge=0, description="Ore di lettura dello stato (0: mai).")
    scheduled_at: AwareDatetime | None = Field(
        None,
        ge=datetime(2000, 1, 1, tzinfo=UTC),
        le=datetime(9998, 12, 31, tzinfo=UTC),
        description="Non prima di questo momento (ISO 8601 con fuso orario).",
    )
    force: bool = Field(
        False,
        description="Conferma quando richiesto (409): un flusso di pagamento senza le colonne"
        " del pagamento.",
    )
    cta: list[ButtonIn] = Field(default_factory=list, max_length=2)
    secure_channel: bool = Field(False, description="Canale sicuro: niente e-mail.")


class ButtonOut(BaseModel):
    label: str
    action: str
    label_en: str | None = None


class ApprovalOut(BaseModel):
    requested_by: str | None
    requested_at: str | None  # ISO 8601, Italian time
    approved_by: str | None
    approved_at: str | None
    note: str | None


class FlowOut(BaseModel):
    """A flow as `appio flow status ID --format json` gives it."""

    id: int
    name: str
    state: FlowState
    service: str
    natura: str
    recipients: int
    counts: dict[str, int] = Field(description="Destinatari per esito (solo gli esiti presenti).")
    approval: ApprovalOut
    cta: list[ButtonOut]
    require_secure_channels: bool
    template: str | None
    template_version: int | None
    corrects_flow_id: int | None
    corrected_by: list[int]


class ActionOut(BaseModel):
    """What an action did, in the words of `appio flow <azione>`, and the flow after it."""

    message: str = Field(description="Es. «invio avviato».")
    count: int | None = Field(None, description="Le righe cambiate (Reinvia falliti).")
    flow: FlowOut


class RecipientOut(BaseModel):
    """One recipient, with the fields of the flow's export (IO's codes, cents, ISO 8601)."""

    id: int
    row_number: int | None
    fiscal_code: str
    subject: str
    outcome: str
    detail: str | None
    http_status: int | None
    io_message_id: str | None
    io_status: str | None
    email_status: str | None
    read_status: str | None
    payment_status: str | None
    feature_level: str
    amount: int | None
    notice_number: str | None
    due_date: str | None
    attempts: int
    sent_at: str | None
    purged_at: str | None
    fields: dict[str, Any] = Field(description="Le altre colonne del file.")


class RecipientPageOut(BaseModel):
    items: list[RecipientOut]
    next_cursor: str | None = Field(
        description="Da passare come «cursor» per la pagina seguente; null all'ultima."
    )
