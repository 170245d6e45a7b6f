"""Changing a flow in preparation («Inattivo»): its name, description, natura, templates,
call-to-action buttons and «canale sicuro». A flow waiting for approval may change too: the
change takes the request away (it goes back to «Inattivo»,
appio_core.flows.approval.take_request_away).

The file itself is replaced by appio_core.flows.importing.replace_recipients. New templates
are checked against the file's columns (kept with every recipient, in `extra`) and every
recipient's subject and text are rendered again from them, with the file's length rules: a
template that would make any message wrong changes nothing.
Every function takes the caller's session and the acting operator and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.audit import AuditAction, recording
from appio_core.content import cta, markdown
from appio_core.content.lengths import (
    TEXT_TOO_LONG,
    ContentRules,
    length_codes,
    length_message,
    text_length,
)
from appio_core.content.template import Template, header_key
from appio_core.content.template_checks import brace_problem
from appio_core.errors import InvalidInput
from appio_core.flows.access import flow_for_send, flow_or_404
from appio_core.flows.approval import take_request_away
from appio_core.flows.fields import check_name, check_natura, require_editable
from appio_core.recipient_file.report import italian_list
from appio_core.storage.models import NOTIFICATIONS, Flow, Notification, utcnow

_ROWS_NAMED = 5  # rows named in a refusal; the operator fixes the template, not each row


@dataclass(frozen=True)
class FlowChanges:
    """What the operator changes; None leaves it as it is."""

    name: str | None = None
    description: str | None = None
    natura: str | None = None
    subject_template: str | None = None
    text_template: str | None = None
    buttons: cta.Buttons | None = None  # () removes them
    secure_channel: bool | None = None

    def any(self) -> bool:
        return any(v is not None for v in vars(self).values())


def edit_flow(session: Session, actor: Actor, flow_id: int, changes: FlowChanges) -> Flow:
    """Applies `changes` to an «Inattivo» flow, or refuses in Italian (nothing changed)."""
    with recording(session, actor, AuditAction.FLOW_EDIT, f"flusso n. {flow_id}") as entry:
        flow = flow_or_404(session, flow_id)
        entry.target = f"flusso n. {flow.id} «{flow.name}»"
        flow = flow_for_send(session, actor, flow_id)
        require_editable(flow)
        if not changes.any():
            raise InvalidInput("Indica almeno una cosa da cambiare.")
        said: list[str] = []
        if changes.name is not None and changes.name.strip() != flow.name:
            name = check_name(changes.name)
            said.append(f"nome da «{flow.name}» a «{name}»")
            flow.name = name
        if changes.description is not None and changes.description.strip() != flow.description:
            flow.description = changes.description.strip()
            said.append("descrizione")
        if changes.natura is not None and changes.natura != flow.natura:
            said.append(f"natura da «{flow.natura}» a «{check_natura(changes.natura)}»")
            flow.natura = changes.natura
        said += _change_message_options(session, flow, changes)
        said += _change_templates(session, flow, changes)
        withdrawn = (
            take_request_away(flow, actor.username, "il flusso è stato", utcnow()) if said else ""
        )
        entry.detail = f"Cambiati: {'; '.join(said)}. {withdrawn}".strip()
        entry.skip = not said  # a save that changed nothing is not worth an entry
        return flow


def _change_message_options(session: Session, flow: Flow, changes: FlowChanges) -> list[str]:
    said = []
    if changes.secure_channel is not None and changes.secure_channel != flow.secure_channel:
        flow.secure_channel = changes.secure_channel
        said.append("canale sicuro " + ("attivo" if changes.secure_channel else "non attivo"))
    if changes.buttons is not None and cta.to_json(changes.buttons) != flow.cta:
        _check_texts_fit(session, flow, changes.buttons)
        flow.cta = cta.to_json(changes.buttons)
        said.append(f"pulsanti: {cta.describe(changes.buttons) or 'nessuno'}")
    return said


def _check_texts_fit(session: Session, flow: Flow, buttons: cta.Buttons) -> None:
    """Every recipient's text, with the buttons' front matter, within IO's length."""
    rules = cta.content_rules(buttons)
    # A UTF-16 length is at most twice the characters: only longer texts can be over.
    candidates = session.execute(
        select(Notification.row_number, Notification.markdown).where(
            Notification.flow_id == flow.id,
            func.length(Notification.markdown) > rules.text_max // 2,
        )
    ).all()
    sized = ((n or 0, text_length(t)) for n, t in candidates)
    over = sorted((n, size) for n, size in sized if size > rules.text_max)
    if over:
        number, length = over[0]
        raise InvalidInput(
            f"Con questi pulsanti {len(over)} messaggi sono troppo lunghi per IO (righe"
            f" {_rows([n for n, _ in over])}). Alla riga {number}:"
            f" {length_message(TEXT_TOO_LONG, length, rules)} I pulsanti contano nella"
            " lunghezza del testo."
        )


def _change_templates(session: Session, flow: Flow, changes: FlowChanges) -> list[str]:
    subject = _changed(changes.subject_template, flow.subject_template)
    text = _changed(changes.text_template, flow.text_template)
    if subject is None and text is None:
        return []
    rows = session.execute(
        select(Notification.id, Notification.row_number, Notification.extra)
        .where(Notification.flow_id == flow.id)
        .order_by(Notification.id)
    ).all()
    columns = template_columns([json.loads(extra) for _, _, extra in rows])
    ids = [row_id for row_id, _, _ in rows]
    values: dict[str, list[str]] = {}
    numbers = [number or 0 for _, number, _ in rows]
    said = []
    for source, is_subject in ((subject, True), (text, False)):
        if source is None:
            continue
        rules = cta.content_rules(cta.from_json(flow.cta))
        rendered = render_template(source, is_subject, columns, numbers, rules)
        values["subject" if is_subject else "markdown"] = rendered
        if is_subject:
            flow.subject_template = source
            said.append("modello dell'oggetto")
        else:
            flow.text_template = source
            said.append("modello del testo")
    table = NOTIFICATIONS
    shape = list(values)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({k: bindparam(f"v_{k}") for k in shape}),
        [
            {"row_id": row_id, **{f"v_{k}": values[k][i] for k in shape}}
            for i, row_id in enumerate(ids)
        ],
        execution_options={"synchronize_session": False},
    )
    return said


def _changed(new: str | None, current: str | None) -> str | None:
    """The new template when it is given and differs; an empty one is refused, since the
    file may have no subject or text column to fall back on."""
    if new is None or new.strip() == (current or "").strip():
        return None
    if not new.strip():
        raise InvalidInput("Il modello non può essere vuoto: scrivi l'oggetto o il testo.")
    return new.strip()


def template_columns(extras: list[dict[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """The file's columns kept with the recipients: key → (header, values in row order)."""
    headers = list(extras[0]) if extras else []
    return {header_key(h): (h, [str(e.get(h, "")) for e in extras]) for h in headers}


def render_template(
    source: str,
    is_subject: bool,
    columns: dict[str, tuple[str, list[str]]],
    numbers: list[int],
    rules: ContentRules,
) -> list[str]:
    """Every recipient's subject or text from a template over the file's kept values, or
    InvalidInput saying what to fix (placeholders, empty values, lengths): the check of a
    new template on a flow's stored rows (editing, «Rettifica»)."""
    which = "dell'oggetto" if is_subject else "del testo"
    template = Template.parse(source)
    broken = brace_problem(template, is_subject)
    if broken is not None:
        raise InvalidInput(broken.message)
    unknown = [n for n, k in zip(template.names, template.keys, strict=True) if k not in columns]
    if unknown:
        known = italian_list([f"«{h}»" for h, _ in columns.values()]) if columns else "nessuna"
        raise InvalidInput(
            f"Il modello {which} usa {italian_list([f'{{{{{n}}}}}' for n in unknown])}, ma il file"
            f" non ha quelle colonne (ha: {known}): correggi il modello."
        )
    count = len(numbers)
    placeholders: list[pa.Array] = []
    for key in template.keys:
        header, texts = columns[key]
        empty = [numbers[i] for i, v in enumerate(texts) if not v.strip()]
        if empty:
            raise InvalidInput(
                f"Manca il valore di «{header}», usato nel modello {which}, alle righe"
                f" {_rows(empty)}: compila il file o cambia il modello."
            )
        array = pa.array(texts, type=pa.large_string())
        placeholders.append(array if is_subject else markdown.escape(array))
    rendered = template.render(placeholders, count)
    lengths = template.lengths(placeholders, count)
    codes = length_codes(lengths, *rules.bounds(subject=is_subject), subject=is_subject)
    wrong = [i for i, code in enumerate(codes) if code is not None]
    if wrong:
        first = wrong[0]
        raise InvalidInput(
            f"Con il nuovo modello {which}, {len(wrong)} messaggi non vanno bene (righe"
            f" {_rows([numbers[i] for i in wrong])}). Alla riga {numbers[first]}:"
            f" {length_message(str(codes[first]), int(lengths[first]), rules)}"
        )
    if isinstance(rendered, pa.ChunkedArray):
        rendered = rendered.combine_chunks()
    return [str(v) for v in rendered.to_pylist()]


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_ROWS_NAMED])
    return shown + (f" e altre {len(numbers) - _ROWS_NAMED}" if len(numbers) > _ROWS_NAMED else "")
