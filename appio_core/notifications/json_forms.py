"""A notification as JSON, for scripts and other systems: the same keys and values for
`appio notification show|list --format json` and the HTTP API. Times are Italian local
time with their offset: readable and exact."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from appio_core.italian import ROME, euro
from appio_core.notifications import labels
from appio_core.notifications.archive import NotificationRow
from appio_core.notifications.detail import NotificationDetail
from appio_core.templates.use import template_keys


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(ROME).isoformat(timespec="seconds") if moment else None


def detail_json(detail: NotificationDetail) -> dict[str, Any]:
    """One notification in full (`appio notification show --format json`)."""
    # A shallow copy: asdict's deep one copied the buttons and the template only to drop them.
    data = {field.name: getattr(detail, field.name) for field in fields(detail)}
    for name, value in data.items():
        if isinstance(value, datetime):
            data[name] = iso(value)
    data["history"] = [{**asdict(event), "at": iso(event.at)} for event in detail.history]
    data["outcome"] = detail.outcome.value
    data["feature_level"] = detail.feature_level.value
    data.pop("buttons")
    data["cta"] = [button.to_json() for button in detail.buttons]
    data["require_secure_channels"] = data.pop("secure_channel")
    data["corrected_by"] = list(detail.corrected_by)
    data.pop("template")
    return data | template_keys(detail.template)


def row_json(row: NotificationRow) -> dict[str, Any]:
    """One line of the archive (`appio notification list --format json`)."""
    has_message = row.io_message_id is not None
    return {
        "id": row.id,
        "flow_id": row.flow_id,
        "flow": row.flow_name,
        "row_number": row.row_number,
        "service": row.service_name,
        "fiscal_code": row.fiscal_code,
        "subject": row.subject,
        "outcome": row.outcome.value,
        "detail": row.error_detail,
        "io_message_id": row.io_message_id,
        "io_status": labels.io_status_label(row.io_status, has_message),
        "email_status": labels.email_status_label(row.email_status, has_message),
        "amount": euro(row.amount) or None,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "corrects_notification_id": row.corrects_notification_id,
        "corrected_by": row.corrected_by,
    }
