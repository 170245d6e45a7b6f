"""«Esporta Excel» buttons: the workbook is built only when the operator clicks, from the
same filters as the list on screen, every page of it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

import streamlit as st
from sqlalchemy.orm import Session

from appio_core.accounts.audit_log import AuditFilters
from appio_core.accounts.permissions import Actor
from appio_core.exports.stats import write_stats
from appio_core.exports.workbooks import (
    XLSX_MIME,
    write_audit,
    write_flow_recipients,
    write_flows,
    write_notifications,
)
from appio_core.flows.queries import FlowFilters
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.stats.figures import StatsFilters
from appio_ui.runtime import transaction


def _workbook(write: Callable[[Session, IO[bytes]], int]) -> Callable[[], bytes]:
    def build() -> bytes:
        buffer = io.BytesIO()
        with transaction() as session:
            write(session, buffer)
        return buffer.getvalue()

    return build


def _button(label_key: str, file_name: str, build: Callable[[], bytes]) -> None:
    st.download_button(
        "Esporta Excel",
        build,
        file_name=file_name,
        mime=XLSX_MIME,
        icon=":material/download:",
        key=label_key,
        on_click="ignore",
    )


def notifications_download(actor: Actor, filters: NotificationFilters) -> None:
    _button(
        "export_notifications",
        "notifiche.xlsx",
        _workbook(lambda s, target: write_notifications(s, actor, filters, target)),
    )


def flows_download(actor: Actor, filters: FlowFilters) -> None:
    _button(
        "export_flows",
        "flussi.xlsx",
        _workbook(lambda s, target: write_flows(s, actor, filters, target)),
    )


def flow_recipients_download(actor: Actor, flow_id: int) -> None:
    _button(
        f"export_flow_{flow_id}",
        f"flusso-{flow_id}.xlsx",
        _workbook(lambda s, target: write_flow_recipients(s, actor, flow_id, target)),
    )


def audit_download(actor: Actor, filters: AuditFilters) -> None:
    _button(
        "export_audit",
        "registro-attivita.xlsx",
        _workbook(lambda s, target: write_audit(s, actor, filters, target)),
    )


def stats_download(actor: Actor, filters: StatsFilters) -> None:
    _button(
        "export_stats",
        "cruscotto.xlsx",
        _workbook(lambda s, target: write_stats(s, actor, filters, target)),
    )
