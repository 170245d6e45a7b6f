"""A flow as machines read it: `appio flow status ID --format json` and the API's
GET /api/v1/flows/{id} give the same object, built here once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appio_core import italian
from appio_core.flows.queries import FlowView
from appio_core.templates.use import template_keys


def iso(moment: datetime | None) -> str | None:
    """A moment in ISO 8601, Italian time (as every JSON of `appio` gives it)."""
    return moment.astimezone(italian.ROME).isoformat(timespec="seconds") if moment else None


def approval_data(view: FlowView) -> dict[str, str | None]:
    """The `approval` object: who asked for it and when, who approved and when, the note."""
    return {
        "requested_by": view.approval_requested_by,
        "requested_at": iso(view.approval_requested_at),
        "approved_by": view.approved_by,
        "approved_at": iso(view.approved_at),
        "note": view.approval_note,
    }


def flow_status_data(view: FlowView) -> dict[str, Any]:
    """The flow with its counts per outcome (only the outcomes present)."""
    return {
        "id": view.id,
        "name": view.name,
        "state": view.state.value,
        "service": view.service_name,
        "natura": view.natura,
        "recipients": view.recipients_total,
        "counts": {outcome.value: n for outcome, n in sorted(view.counts.items())},
        "approval": approval_data(view),
        "cta": [button.to_json() for button in view.buttons],
        "require_secure_channels": view.secure_channel,
        **template_keys(view.template),
        "corrects_flow_id": view.corrects_flow_id,
        "corrected_by": list(view.corrected_by),
    }
