"""GET /api/v1/services: the services a key may use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from appio_core.accounts.services import list_services
from appio_core.api.context import api_context, caller_with
from appio_core.api.problems import COMMON, responses
from appio_core.integrations.keys import Caller
from appio_core.storage.db import session_scope

router = APIRouter(tags=["Servizi"])


class ServiceOut(BaseModel):
    id: int
    name: str
    io_service_id: str
    organization_name: str
    active: bool
    max_payment_amount: int  # euro cents


@router.get(
    "/services",
    summary="I servizi che la chiave può usare",
    response_model=list[ServiceOut],
    responses=responses(*COMMON),
)
def get_services(
    request: Request, caller: Annotated[Caller, Depends(caller_with(None))]
) -> list[ServiceOut]:
    with session_scope(api_context(request).sessions) as session:
        return [
            ServiceOut(
                id=s.id,
                name=s.name,
                io_service_id=s.io_service_id,
                organization_name=s.organization_name,
                active=s.active,
                max_payment_amount=s.max_payment_amount,
            )
            for s in list_services(session, caller.actor)
        ]
