"""Writing templates: a new one, a new version of one, one saved from a flow or a message
(«Salva come modello»). Each checks the operator may send on the service, is in the audit
log, takes the caller's session and never commits; a version is never changed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor, require_service_send
from appio_core.audit import AuditAction, Entry, recording
from appio_core.content import cta
from appio_core.domain import FeatureLevel, Natura
from appio_core.errors import Conflict, InvalidInput, NotFound
from appio_core.flows.access import flow_or_404
from appio_core.storage.models import Notification, Service, utcnow
from appio_core.templates.fields import TemplateFields, check_fields
from appio_core.templates.models import MessageTemplate, MessageTemplateVersion
from appio_core.templates.queries import TemplateVersionView, fields_of, find_template, view_of

_DOING = "salvare modelli"


def add_template(
    session: Session, actor: Actor, service_id: int, name: str, fields: TemplateFields
) -> TemplateVersionView:
    """A new template (version 1) of a service, or TemplateErrors (nothing saved)."""
    target = f"nuovo modello «{name.strip()}»"
    with recording(session, actor, AuditAction.TEMPLATE_ADD, target) as entry:
        return _add(session, actor, service_id, name, fields, entry, "")


def _add(
    session: Session,
    actor: Actor,
    service_id: int,
    name: str,
    fields: TemplateFields,
    entry: Entry,
    origin: str,
) -> TemplateVersionView:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    require_service_send(session, actor, service.id, _DOING)
    checked = check_fields(fields, name)
    name = name.strip()
    taken = session.scalar(
        select(MessageTemplate.id).where(func.lower(MessageTemplate.name) == name.lower())
    )
    if taken is not None:
        raise Conflict(f"Esiste già un modello «{name}»: scegli un altro nome.")
    now = utcnow()
    template = MessageTemplate(
        name=name,
        service_id=service.id,
        current_version=1,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    session.add(template)
    session.flush()
    row = _new_version(session, template, checked, actor, 1)
    entry.target = f"modello «{name}»"
    entry.detail = f"Servizio «{service.name}»; natura {checked.natura}; versione 1{origin}."
    return view_of(template, row, service.name)


def edit_template(
    session: Session, actor: Actor, template_id: int, fields: TemplateFields
) -> TemplateVersionView:
    """A new version of the template with these fields; the old ones stay as they were.
    Refused when nothing changed."""
    target = f"modello n. {template_id}"
    with recording(session, actor, AuditAction.TEMPLATE_EDIT, target) as entry:
        template = session.get(MessageTemplate, template_id)
        if template is None:
            raise NotFound("Modello non trovato.")
        entry.target = f"modello «{template.name}»"
        require_service_send(session, actor, template.service_id, _DOING)
        checked = check_fields(fields)
        current = session.scalar(
            select(MessageTemplateVersion).where(
                MessageTemplateVersion.template_id == template.id,
                MessageTemplateVersion.version == template.current_version,
            )
        )
        assert current is not None
        if fields_of(current) == checked:
            raise InvalidInput("Il modello non è cambiato: nessuna nuova versione salvata.")
        version = template.current_version + 1
        row = _new_version(session, template, checked, actor, version)
        template.current_version = version
        template.updated_at = row.created_at
        service = session.get(Service, template.service_id)
        entry.detail = f"Versione {version} (prima {version - 1})."
        return view_of(template, row, service.name if service else "")


def find_for_edit(session: Session, actor: Actor, name: str) -> int:
    """The id of the template named so, if the actor may change it."""
    template = find_template(session, name)
    require_service_send(session, actor, template.service_id, _DOING)
    return template.id


def _new_version(
    session: Session,
    template: MessageTemplate,
    fields: TemplateFields,
    actor: Actor,
    version: int,
) -> MessageTemplateVersion:
    row = MessageTemplateVersion(
        template_id=template.id,
        version=version,
        natura=fields.natura,
        subject_template=fields.subject_template,
        text_template=fields.text_template,
        amount_column=fields.amount_column or None,
        notice_number_column=fields.notice_number_column or None,
        due_date_column=fields.due_date_column or None,
        feature_level=fields.feature_level,
        require_secure_channels=fields.require_secure_channels,
        cta=cta.to_json(fields.buttons),
        created_by=actor.username,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def flow_as_template(
    session: Session, actor: Actor, flow_id: int, name: str
) -> TemplateVersionView:
    """«Salva come modello» on a flow: its natura, templates and message level, as a new
    template of its service. A flow whose subject and text came from the file's columns has
    no template to save."""
    target = f"nuovo modello «{name.strip()}»"
    with recording(session, actor, AuditAction.TEMPLATE_ADD, target) as entry:
        flow = flow_or_404(session, flow_id)
        require_service_send(session, actor, flow.service_id, _DOING)
        if not (flow.subject_template and flow.text_template):
            raise InvalidInput(
                "Questo flusso prende l'oggetto o il testo dalle colonne del file: non ha un"
                " modello da salvare. Scrivi il modello su «Modelli»."
            )
        fields = TemplateFields(
            natura=flow.natura,
            subject_template=flow.subject_template,
            text_template=flow.text_template,
            feature_level=FeatureLevel(flow.feature_level),
            require_secure_channels=flow.secure_channel,
            buttons=cta.from_json(flow.cta),
        )
        origin = f", dal flusso n. {flow.id}"
        return _add(session, actor, flow.service_id, name, fields, entry, origin)


def notification_as_template(
    session: Session,
    actor: Actor,
    notification_id: int,
    name: str,
    natura: str = Natura.COMMUNICATION.value,
) -> TemplateVersionView:
    """«Salva come modello» on a message: its subject and text (the values as sent: the
    operator puts placeholders in on «Modelli»), as a new template of its service."""
    target = f"nuovo modello «{name.strip()}»"
    with recording(session, actor, AuditAction.TEMPLATE_ADD, target) as entry:
        row = session.get(Notification, notification_id)
        if row is None:
            raise NotFound(f"Notifica {notification_id} non trovata.")
        require_service_send(session, actor, row.service_id, _DOING)
        if row.purged_at is not None:
            raise Conflict(
                "Il testo di questa notifica è stato rimosso dopo il periodo di conservazione:"
                " non si può salvare come modello."
            )
        fields = TemplateFields(
            natura=natura,
            subject_template=row.subject,
            text_template=row.markdown,
            feature_level=FeatureLevel(row.feature_level),
            require_secure_channels=row.secure_channel,
            buttons=cta.from_json(row.cta),
        )
        origin = f", dalla notifica n. {row.id}"
        return _add(session, actor, row.service_id, name, fields, entry, origin)
