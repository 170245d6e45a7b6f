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


def changeable_service(
    session: Session,
    actor: Actor,
    service_id: int,
    *,
    sends: bool,
    doing: str = "inviare messaggi",
) -> Service:
    """The one rule of every change to a service's flows and messages: send rights on the
    service (a «consultazione» operator changes nothing), and, when the change makes
    something go to IO, the service active (a deactivated service sends nothing).

    So what sends nothing («Segna come inviato», on a flow's rows and on a single
    notification alike; «Aggiorna stato») is allowed on a deactivated service: its
    uncertain messages can still be closed. `doing` completes a «consultazione» refusal."""
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("Servizio non trovato.")
    require_service_send(session, actor, service.id, doing)
    if sends and not service.active:
        raise Conflict(f"Il servizio «{service.name}» è disattivato: riattivalo per usarlo.")
    return service


def active_service(
    session: Session, actor: Actor, service_id: int, doing: str = "inviare messaggi"
) -> Service:
    """A service the actor may send on now (a new flow, a single message, a profile check)."""
    return changeable_service(session, actor, service_id, sends=True, doing=doing)
