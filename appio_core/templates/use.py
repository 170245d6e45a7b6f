"""A template as a flow or a message records it (its id and version), checked when it is
used and named when it is shown. Only storage here: flows/ and notifications/ import it.

The templates' models are imported where a template is read: reading a flow or a message
made without one (`appio flow status`, `appio notification show`, called by scripts in a
loop) then neither declares nor configures them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.errors import InvalidInput


@dataclass(frozen=True)
class TemplateRef:
    """Which template, and which of its versions, a flow or a message was made from."""

    template_id: int
    version: int


@dataclass(frozen=True)
class TemplateUse:
    """A template used, as a detail shows it: «Modello «TARI», versione 2»."""

    template_id: int
    name: str
    version: int

    def describe(self) -> str:
        return f"modello «{self.name}», versione {self.version}"


def check_use(session: Session, ref: TemplateRef | None, service_id: int) -> None:
    """A template used for a send must be of the send's service, and the version exist."""
    if ref is None:
        return
    from appio_core.templates.models import MessageTemplate, MessageTemplateVersion

    template = session.get(MessageTemplate, ref.template_id)
    if template is None or template.service_id != service_id:
        raise InvalidInput("Il modello scelto non è di questo servizio: scegline un altro.")
    found = session.scalar(
        select(MessageTemplateVersion.id).where(
            MessageTemplateVersion.template_id == ref.template_id,
            MessageTemplateVersion.version == ref.version,
        )
    )
    if found is None:
        raise InvalidInput(f"Il modello «{template.name}» non ha la versione {ref.version}.")


def unfilled_placeholders(value: str) -> str | None:
    """What to do about a template's placeholders left in one message (which has no file
    whose columns would fill them), or None."""
    # Here: the template parser loads pyarrow, and reading a flow (`appio flow status`)
    # records its template without parsing any.
    from appio_core.content.template import Template

    names = Template.parse(value).names
    if not names:
        return None
    shown = ", ".join(f"{{{{{n}}}}}" for n in dict.fromkeys(names))
    return f"Sostituisci {shown} con il valore per questo destinatario."


def used_template(
    session: Session, template_id: int | None, version: int | None
) -> TemplateUse | None:
    """The template a flow or a message recorded, with its name; None when it used none."""
    if template_id is None or version is None:
        return None
    from appio_core.templates.models import MessageTemplate

    name = session.scalar(select(MessageTemplate.name).where(MessageTemplate.id == template_id))
    return None if name is None else TemplateUse(template_id, name, version)


def fill_placeholders(source: str, values: Mapping[str, str]) -> str:
    """A template's subject or text for one message: each {{placeholder}} replaced by its
    value, names compared as a file's headers are (header_key); one without a value stays,
    for `unfilled_placeholders` to name it."""
    from appio_core.content.template import Template, header_key

    parsed = Template.parse(source)
    given = {header_key(name): value for name, value in values.items()}
    pieces = [parsed.literals[0]]
    for name, literal in zip(parsed.names, parsed.literals[1:], strict=True):
        pieces += [given.get(header_key(name), f"{{{{{name}}}}}"), literal]
    return "".join(pieces)


def template_keys(used: TemplateUse | None) -> dict[str, Any]:
    """The JSON keys of the template a flow or a message was made from (null without): the
    same in `appio ... --format json` and the API."""
    return {
        "template": used.name if used else None,
        "template_version": used.version if used else None,
    }
