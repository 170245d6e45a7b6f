"""Reading templates: the list of a service's, one version, every version with its
differences from the one before. Every function takes the caller's session and the acting
operator: he sees the templates of the services he is enabled on."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, enabled_service_ids, require_service_read
from appio_core.content import cta
from appio_core.domain import FeatureLevel
from appio_core.errors import NotFound
from appio_core.storage.models import Service
from appio_core.templates.fields import TemplateFields, parse_reference
from appio_core.templates.models import MessageTemplate, MessageTemplateVersion
from appio_core.templates.use import TemplateRef


@dataclass(frozen=True)
class TemplateVersionView:
    """One version of a template, with what the template is now."""

    template_id: int
    name: str
    service_id: int
    service_name: str
    version: int
    current_version: int
    fields: TemplateFields
    created_by: str  # the version's author
    created_at: datetime

    @property
    def ref(self) -> TemplateRef:
        return TemplateRef(self.template_id, self.version)

    @property
    def is_current(self) -> bool:
        return self.version == self.current_version


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    service_id: int
    service_name: str
    natura: str
    version: int  # the current one
    updated_by: str
    updated_at: datetime


def list_templates(
    session: Session, actor: Actor, service_id: int | None = None
) -> list[TemplateSummary]:
    """The templates of the services the actor sees (of one, when given), by name."""
    allowed = enabled_service_ids(session, actor)
    query = (
        select(MessageTemplate, MessageTemplateVersion, Service.name)
        .join(
            MessageTemplateVersion,
            (MessageTemplateVersion.template_id == MessageTemplate.id)
            & (MessageTemplateVersion.version == MessageTemplate.current_version),
        )
        .join(Service, Service.id == MessageTemplate.service_id)
        .order_by(func.lower(MessageTemplate.name))
    )
    if service_id is not None:
        query = query.where(MessageTemplate.service_id == service_id)
    if allowed is not None:
        query = query.where(MessageTemplate.service_id.in_(allowed))
    return [
        TemplateSummary(
            id=t.id,
            name=t.name,
            service_id=t.service_id,
            service_name=service_name,
            natura=v.natura,
            version=v.version,
            updated_by=v.created_by,
            updated_at=v.created_at,
        )
        for t, v, service_name in session.execute(query).all()
    ]


def find_template(session: Session, name: str) -> MessageTemplate:
    """A template by name (any case), or NotFound. No permission check: the caller's."""
    template = session.scalar(
        select(MessageTemplate).where(func.lower(MessageTemplate.name) == name.strip().lower())
    )
    if template is None:
        raise NotFound(f"Nessun modello si chiama «{name.strip()}».")
    return template


def get_template(
    session: Session, actor: Actor, reference: str, version: int | None = None
) -> TemplateVersionView:
    """A template by «NAME» or «NAME@VERSION» (or `version`): the current version if none."""
    name, named_version = parse_reference(reference)
    template = find_template(session, name)
    require_service_read(session, actor, template.service_id)
    return _version(session, template, version or named_version or template.current_version)


def get_template_by_id(
    session: Session, actor: Actor, template_id: int, version: int | None = None
) -> TemplateVersionView:
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound("Modello non trovato.")
    require_service_read(session, actor, template.service_id)
    return _version(session, template, version or template.current_version)


def template_versions(
    session: Session, actor: Actor, template_id: int
) -> list[TemplateVersionView]:
    """Every version of a template, the newest first."""
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound("Modello non trovato.")
    require_service_read(session, actor, template.service_id)
    rows = session.scalars(
        select(MessageTemplateVersion)
        .where(MessageTemplateVersion.template_id == template.id)
        .order_by(MessageTemplateVersion.version.desc())
    ).all()
    service_name = _service_name(session, template.service_id)
    return [view_of(template, row, service_name) for row in rows]


def _version(session: Session, template: MessageTemplate, version: int) -> TemplateVersionView:
    row = session.scalar(
        select(MessageTemplateVersion).where(
            MessageTemplateVersion.template_id == template.id,
            MessageTemplateVersion.version == version,
        )
    )
    if row is None:
        raise NotFound(
            f"Il modello «{template.name}» non ha la versione {version}: l'ultima è la"
            f" {template.current_version}."
        )
    return view_of(template, row, _service_name(session, template.service_id))


def _service_name(session: Session, service_id: int) -> str:
    return session.scalar(select(Service.name).where(Service.id == service_id)) or ""


def view_of(
    template: MessageTemplate, row: MessageTemplateVersion, service_name: str
) -> TemplateVersionView:
    return TemplateVersionView(
        template_id=template.id,
        name=template.name,
        service_id=template.service_id,
        service_name=service_name,
        version=row.version,
        current_version=template.current_version,
        fields=fields_of(row),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def fields_of(row: MessageTemplateVersion) -> TemplateFields:
    return TemplateFields(
        natura=row.natura,
        subject_template=row.subject_template,
        text_template=row.text_template,
        amount_column=row.amount_column or "",
        notice_number_column=row.notice_number_column or "",
        due_date_column=row.due_date_column or "",
        feature_level=FeatureLevel(row.feature_level),
        require_secure_channels=bool(row.require_secure_channels),
        buttons=cta.from_json(row.cta),
    )


def _lines(fields: TemplateFields) -> list[str]:
    """A version as lines of text, in Italian, for the differences between two."""
    yes_no = {True: "sì", False: "no"}
    lines = [
        f"Natura: {fields.natura}",
        f"Oggetto: {fields.subject_template}",
        "Testo:",
        *fields.text_template.splitlines(),
        "",
        f"Colonna dell'importo: {fields.amount_column or '-'}",
        f"Colonna del numero avviso: {fields.notice_number_column or '-'}",
        f"Colonna della scadenza: {fields.due_date_column or '-'}",
        f"Messaggi avanzati: {yes_no[fields.feature_level == FeatureLevel.ADVANCED]}",
        f"Canale sicuro: {yes_no[fields.require_secure_channels]}",
        *(
            f"Pulsante {n}: «{b.label}»"
            + (f" (inglese «{b.label_en}»)" if b.label_en else "")
            + f" → {b.target}"
            for n, b in enumerate(fields.buttons, start=1)
        ),
    ]
    return lines


def version_diff(previous: TemplateVersionView | None, version: TemplateVersionView) -> str:
    """What changed from the previous version, as a unified diff («-» removed, «+» added);
    the first version against nothing."""
    before = _lines(previous.fields) if previous is not None else []
    return "\n".join(
        difflib.unified_diff(
            before,
            _lines(version.fields),
            fromfile=f"versione {previous.version}" if previous else "nessuna versione",
            tofile=f"versione {version.version}",
            lineterm="",
        )
    )
