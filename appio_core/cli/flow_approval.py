"""What `appio flow` says about a flow's approval (four eyes): in `status`, and when an
`edit` or a `replace-file` took a request for approval away."""

from __future__ import annotations

import click

from appio_core import italian
from appio_core.domain import FlowState
from appio_core.flows.queries import FlowView


def say_withdrawn(before: FlowState, after: FlowState) -> None:
    if before == FlowState.AWAITING_APPROVAL and after != before:
        click.echo(
            "La richiesta di approvazione è ritirata: il flusso è di nuovo Inattivo. Attivalo"
            " e invialo di nuovo per chiederla ancora."
        )


def approval_lines(view: FlowView) -> list[str]:
    """The approval of a flow in words (Rome time), for `appio flow status`."""
    lines = []
    if view.state == FlowState.AWAITING_APPROVAL and view.approval_requested_at:
        lines.append(
            f"Approvazione chiesta da {view.approval_requested_by} il"
            f" {italian.local_time(view.approval_requested_at)}."
        )
    if view.approved_by and view.approved_at:
        lines.append(f"Approvato da {view.approved_by} il {italian.local_time(view.approved_at)}.")
    if view.approval_note:
        lines.append(f"Nota: {view.approval_note}")
    return lines
