"""Finding a flow and checking who may act on it; every flow action starts here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import (
    Actor,
    require_service_send,
)
from appio_core.errors import Conflict, NotFound
from appio_core.storage.models import Flow, Service


def flow_or_404(session: Session, flow_id: int) -> Flow:
    flow = session.get(Flow, flow_id)
    if flow is None:
        raise NotFound(f"Flusso {flow_id} non trovato.")
    return flow


def flow_for_send(session: Session, actor: Actor, flow_id: int) -> Flow:
    flow = flow_or_404(session, flow_id)
    require_service_send(session, actor, flow.service_id)
    return flow


def active_service(session: Session, actor: Actor, service_id: int) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    require_service_send(session, actor, service.id)
    if not service.active:
        raise Conflict(f"Il servizio «{service.name}» è disattivato: riattivalo per usarlo.")
    return service
