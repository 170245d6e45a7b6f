"""Every core function that acts for someone refuses what the actor's role, state or service
enablement does not allow: the pages only hide it.

The functions are found by introspection: every public function of accounts/, audit/,
flows/, notifications/ and sending/ with a parameter annotated `Actor`. Each must be in
CASES, with its rule and a way to call it, so that a new one fails here until it is.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts import (
    audit_log,
    connection_check,
    io_access,
    io_import,
    key_regeneration,
    manage_key,
    operators,
    permissions,
    service_keys,
    services,
)
from appio_core.accounts.audit_log import AuditFilters
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import ServiceInput
from appio_core.audit import AuditAction
from appio_core.config import load_settings
from appio_core.domain import ApprovalPolicy, FlowState, Outcome, Role
from appio_core.errors import PermissionDenied
from appio_core.flows import (
    access,
    actions,
    approval,
    correction,
    editing,
    importing,
    queries,
    recipient_page,
)
from appio_core.flows.editing import FlowChanges
from appio_core.flows.queries import FlowFilters
from appio_core.flows.registry import BY_NAME
from appio_core.io.http import in_process_simulator
from appio_core.io.manage import ManageClient
from appio_core.io.simulator import Kind
from appio_core.io.simulator.demo import (
    DEMO_ACCOUNT,
    DEMO_ORGANIZATION,
    DEMO_ORGANIZATION_FISCAL_CODE,
    DEMO_SERVICES,
)
from appio_core.italian import ROME
from appio_core.notifications import (
    archive,
    archive_keyset,
    corrections,
    detail,
    queued,
    recipient_check,
    retention,
    single,
    status_refresh,
    trial,
)
from appio_core.notifications.archive import NotificationFilters
from appio_core.notifications.single import NewNotification
from appio_core.notifications.stats import figures as stats
from appio_core.sending import system_status
from appio_core.storage.models import Flow, Operator, service_operators, utcnow
from appio_core.templates import queries as template_queries
from appio_core.templates import store as template_store
from appio_core.templates.fields import TemplateFields
from appio_core.templates.models import MessageTemplate

from .conftest import TEST_SECRET_KEY
from .flows.conftest import TEXT, fiscal_codes, imported_flow, recipient_csv

PACKAGES = ("accounts", "audit", "flows", "notifications", "sending", "templates")
TARI = DEMO_SERVICES[0]
OTHER = ServiceInput(name="Mensa", io_service_id="01JMENSA", primary_key="primary-key-5678")
TEMPLATES = importing.Templates(subject="Avviso per {{nome}}", text=TEXT)
CSV = recipient_csv(fiscal_codes(2, seed=5))
RETENTION = retention.Retention(30, TEST_SECRET_KEY)
SIMULATOR = "simulator"
TEMPLATE = "Modello TARI"
TEMPLATE_FIELDS = TemplateFields(subject_template="Avviso per {{nome}}", text_template=TEXT)
OTHER_FIELDS = TemplateFields(subject_template="Avviso TARI per {{nome}}", text_template=TEXT)


def _template_id(session: Session) -> int:
    return int(session.scalar(select(MessageTemplate.id).where(MessageTemplate.name == TEMPLATE)))


@dataclass(frozen=True)
class World:
    """One service on the in-process simulator, a flow «Inattivo» on it, a single
    notification IO accepted, and the actors the checks are tried with."""

    sessions: sessionmaker[Session]
    keybox: KeyBox
    service_id: int
    flow_id: int
    notification_id: int
    actors: dict[str, Actor]

    def message(self) -> NewNotification:
        citizen = in_process_simulator().population.find(Kind.WITH_IO, TARI.io_service_id, 1)[0]
        subject = "Promemoria TARI 2026"
        return NewNotification(self.service_id, citizen, subject, TEXT.replace("{{nome}}", "Ada"))


class Rule(Enum):
    ADMIN = "administrators only: an operator, a viewer and a demoted administrator refused"
    CHANGE = "a change on one service: a viewer and an operator not enabled on it refused"
    READ = "a read of one service: who is not enabled on it refused, an enabled viewer not"
    LIST = "a list: who is not enabled on the service sees none of it, an operator sees it"
    OWN = "the operator's own doing, checked where it is tested (reason in OWN_REASONS)"


Call = Callable[[World, Session, Actor], object]


@dataclass(frozen=True)
class Case:
    function: Callable[..., object]
    rule: Rule
    call: Call

    @property
    def name(self) -> str:
        return f"{self.function.__module__.removeprefix('appio_core.')}.{self.function.__name__}"


def _unreached() -> ManageClient:
    """A client of IO's management API that a refused call must not use."""
    return ManageClient("http://unreached/api/v1", httpx.AsyncClient())


def _rows(chunks: Iterable[dict[str, list[Any]]]) -> int:
    return sum(len(next(iter(chunk.values()), [])) for chunk in chunks)


def _in(service_id: int, allowed: set[int] | None) -> int:
    return int(allowed is None or service_id in allowed)  # None: every service


def _this_month() -> stats.Period:
    """The month of the world's single message (sent now), in Italian time."""
    return stats.Period.month_of(utcnow().astimezone(ROME).date())


def _has(views: Iterable[Any], service_id: int) -> int:
    return sum(view.id == service_id for view in views)


def _waiting(world: World, session: Session) -> Flow:
    """The world's flow, as if the installation had asked for its approval."""
    flow = session.get(Flow, world.flow_id)
    assert flow is not None
    flow.state = FlowState.AWAITING_APPROVAL
    flow.approval_requested_by = Actor.system().username
    session.flush()
    return flow


CASES: tuple[Case, ...] = (
    # accounts/
    Case(audit_log.count, Rule.ADMIN, lambda w, s, a: audit_log.count(s, a, AuditFilters())),
    Case(audit_log.search, Rule.ADMIN, lambda w, s, a: audit_log.search(s, a, AuditFilters())),
    Case(audit_log.get_entry, Rule.ADMIN, lambda w, s, a: audit_log.get_entry(s, a, 1)),
    Case(
        audit_log.iter_rows,
        Rule.ADMIN,
        lambda w, s, a: list(audit_log.iter_rows(s, a, AuditFilters())),
    ),
    Case(
        audit_log.iter_columns,
        Rule.ADMIN,
        lambda w, s, a: list(audit_log.iter_columns(s, a, AuditFilters())),
    ),
    Case(
        connection_check.run_connection_check,
        Rule.READ,
        lambda w, s, a: connection_check.run_connection_check(
            s, a, w.service_id, w.keybox, load_settings({"APPIO_IO_BASE_URL": SIMULATOR})
        ),
    ),
    Case(
        io_access.service_access,
        Rule.READ,
        lambda w, s, a: io_access.service_access(s, a, w.service_id, w.keybox),
    ),
    Case(
        io_import.io_services,
        Rule.ADMIN,
        lambda w, s, a: asyncio.run(io_import.io_services(s, a, w.keybox, _unreached())),
    ),
    Case(
        io_import.import_services,
        Rule.ADMIN,
        lambda w, s, a: asyncio.run(io_import.import_services(s, a, w.keybox, _unreached(), None)),
    ),
    Case(
        key_regeneration.regenerate_keys,
        Rule.ADMIN,
        lambda w, s, a: asyncio.run(
            key_regeneration.regenerate_keys(w.sessions, a, w.service_id, w.keybox, _unreached())
        ),
    ),
    Case(
        manage_key.open_manage_key,
        Rule.ADMIN,
        lambda w, s, a: manage_key.open_manage_key(s, a, w.keybox),
    ),
    Case(
        manage_key.set_manage_key,
        Rule.ADMIN,
        lambda w, s, a: manage_key.set_manage_key(s, a, "ente-manage-key-1", w.keybox),
    ),
    Case(operators.change_own_password, Rule.OWN, lambda w, s, a: None),
    Case(operators.logout, Rule.OWN, lambda w, s, a: None),
    Case(
        operators.create_operator,
        Rule.ADMIN,
        lambda w, s, a: operators.create_operator(s, a, "nuovo", "password-123456", Role.OPERATOR),
    ),
    Case(operators.list_operators, Rule.ADMIN, lambda w, s, a: operators.list_operators(s, a)),
    Case(
        operators.reset_password,
        Rule.ADMIN,
        lambda w, s, a: operators.reset_password(s, a, "operatore", "una-password-nuova"),
    ),
    Case(
        operators.set_active,
        Rule.ADMIN,
        lambda w, s, a: operators.set_active(s, a, "operatore", False),
    ),
    Case(
        operators.set_email,
        Rule.ADMIN,
        lambda w, s, a: operators.set_email(s, a, "operatore", "capo@comune.example.it"),
    ),
    Case(
        operators.set_role,
        Rule.ADMIN,
        lambda w, s, a: operators.set_role(s, a, "operatore", Role.ADMIN),
    ),
    Case(permissions.current_role, Rule.OWN, lambda w, s, a: None),
    Case(
        permissions.enabled_service_ids,
        Rule.LIST,
        lambda w, s, a: _in(w.service_id, permissions.enabled_service_ids(s, a)),
    ),
    Case(permissions.require_admin, Rule.ADMIN, lambda w, s, a: permissions.require_admin(s, a)),
    Case(
        permissions.require_service_read,
        Rule.READ,
        lambda w, s, a: permissions.require_service_read(s, a, w.service_id),
    ),
    Case(
        permissions.require_service_send,
        Rule.CHANGE,
        lambda w, s, a: permissions.require_service_send(s, a, w.service_id),
    ),
    Case(
        service_keys.api_keys,
        Rule.READ,
        lambda w, s, a: service_keys.api_keys(s, a, w.service_id, w.keybox),
    ),
    Case(
        services.create_service,
        Rule.ADMIN,
        lambda w, s, a: services.create_service(s, a, OTHER, w.keybox),
    ),
    Case(
        services.enable_operator,
        Rule.ADMIN,
        lambda w, s, a: services.enable_operator(s, a, TARI.name, "estraneo"),
    ),
    Case(services.find_service, Rule.READ, lambda w, s, a: services.find_service(s, a, TARI.name)),
    Case(
        services.find_service_id,
        Rule.READ,
        lambda w, s, a: services.find_service_id(s, a, TARI.name),
    ),
    Case(
        services.list_services,
        Rule.LIST,
        lambda w, s, a: _has(services.list_services(s, a), w.service_id),
    ),
    Case(
        service_keys.rotate_keys,
        Rule.ADMIN,
        lambda w, s, a: service_keys.rotate_keys(s, a, w.keybox),
    ),
    Case(
        services.sendable_services,
        Rule.LIST,
        lambda w, s, a: _has(services.sendable_services(s, a), w.service_id),
    ),
    Case(
        services.set_account_rate_limit,
        Rule.ADMIN,
        lambda w, s, a: services.set_account_rate_limit(s, a, DEMO_ACCOUNT, 10, 5),
    ),
    Case(
        services.set_approval_policy,
        Rule.ADMIN,
        lambda w, s, a: services.set_approval_policy(s, a, w.service_id, ApprovalPolicy.ALWAYS),
    ),
    Case(
        services.set_enabled_operators,
        Rule.ADMIN,
        lambda w, s, a: services.set_enabled_operators(s, a, w.service_id, []),
    ),
    Case(
        services.update_service,
        Rule.ADMIN,
        lambda w, s, a: services.update_service(s, a, w.service_id, OTHER, w.keybox),
    ),
    # flows/
    Case(
        access.active_service,
        Rule.CHANGE,
        lambda w, s, a: access.active_service(s, a, w.service_id),
    ),
    Case(
        access.changeable_service,
        Rule.CHANGE,
        lambda w, s, a: access.changeable_service(s, a, w.service_id, sends=False),
    ),
    Case(access.flow_for_send, Rule.CHANGE, lambda w, s, a: access.flow_for_send(s, a, w.flow_id)),
    Case(actions.activate, Rule.CHANGE, lambda w, s, a: actions.activate(s, a, w.flow_id)),
    Case(actions.approve, Rule.CHANGE, lambda w, s, a: actions.approve(s, a, w.flow_id)),
    Case(actions.reject, Rule.CHANGE, lambda w, s, a: actions.reject(s, a, w.flow_id, note="No")),
    Case(
        approval.awaiting_approval,
        Rule.LIST,
        lambda w, s, a: (_waiting(w, s), len(approval.awaiting_approval(s, a)))[1],
    ),
    Case(
        approval.count_to_approve,
        Rule.LIST,
        lambda w, s, a: (_waiting(w, s), approval.count_to_approve(s, a))[1],
    ),
    Case(
        approval.decider_words,
        Rule.CHANGE,
        lambda w, s, a: approval.decider_words(s, a, _waiting(w, s), "approvare"),
    ),
    Case(
        approval.decide,
        Rule.CHANGE,
        lambda w, s, a: approval.decide(s, a, _waiting(w, s), "Da rifare.", approved=False),
    ),
    Case(approval.review, Rule.READ, lambda w, s, a: approval.review(s, a, w.flow_id)),
    Case(approval.row_message, Rule.READ, lambda w, s, a: approval.row_message(s, a, w.flow_id, 2)),
    Case(actions.cancel, Rule.CHANGE, lambda w, s, a: actions.cancel(s, a, w.flow_id)),
    Case(actions.deactivate, Rule.CHANGE, lambda w, s, a: actions.deactivate(s, a, w.flow_id)),
    Case(
        actions.mark_uncertain_sent,
        Rule.CHANGE,
        lambda w, s, a: actions.mark_uncertain_sent(s, a, w.flow_id, [1]),
    ),
    Case(actions.pause, Rule.CHANGE, lambda w, s, a: actions.pause(s, a, w.flow_id)),
    Case(
        actions.perform,
        Rule.CHANGE,
        lambda w, s, a: actions.perform(s, a, BY_NAME["activate"], w.flow_id),
    ),
    Case(
        actions.resend_uncertain,
        Rule.CHANGE,
        lambda w, s, a: actions.resend_uncertain(s, a, w.flow_id, [1]),
    ),
    Case(actions.resume, Rule.CHANGE, lambda w, s, a: actions.resume(s, a, w.flow_id)),
    Case(actions.retry_failed, Rule.CHANGE, lambda w, s, a: actions.retry_failed(s, a, w.flow_id)),
    Case(actions.send, Rule.CHANGE, lambda w, s, a: actions.send(s, a, w.flow_id)),
    Case(
        correction.file_columns,
        Rule.READ,
        lambda w, s, a: correction.file_columns(s, a, w.flow_id),
    ),
    Case(
        correction.correct_flow,
        Rule.CHANGE,
        lambda w, s, a: correction.correct_flow(s, a, w.flow_id, text_template=TEXT),
    ),
    Case(
        editing.edit_flow,
        Rule.CHANGE,
        lambda w, s, a: editing.edit_flow(s, a, w.flow_id, FlowChanges(name="Altro")),
    ),
    Case(
        importing.check_flow_file,
        Rule.CHANGE,
        lambda w, s, a: importing.check_flow_file(s, a, w.service_id, CSV, "d.csv", TEMPLATES),
    ),
    Case(
        importing.import_flow,
        Rule.CHANGE,
        lambda w, s, a: importing.import_flow(
            s,
            a,
            service_id=w.service_id,
            name="Nuovo",
            natura="Comunicazione",
            source=CSV,
            filename="d.csv",
            templates=TEMPLATES,
        ),
    ),
    Case(
        importing.preview_flow_row,
        Rule.CHANGE,
        lambda w, s, a: importing.preview_flow_row(s, a, w.service_id, CSV, "d.csv", TEMPLATES, 2),
    ),
    Case(
        importing.replace_file,
        Rule.CHANGE,
        lambda w, s, a: importing.replace_file(s, a, w.flow_id, CSV, "d.csv"),
    ),
    Case(
        importing.replace_recipients,
        Rule.CHANGE,
        lambda w, s, a: importing.replace_recipients(s, a, w.flow_id, CSV, "d.csv"),
    ),
    Case(queries.get_flow, Rule.READ, lambda w, s, a: queries.get_flow(s, a, w.flow_id)),
    Case(
        queries.iter_flows,
        Rule.LIST,
        lambda w, s, a: len(list(queries.iter_flows(s, a, FlowFilters()))),
    ),
    Case(
        queries.list_recipients,
        Rule.READ,
        lambda w, s, a: queries.list_recipients(s, a, w.flow_id),
    ),
    Case(
        recipient_page.recipient_page,
        Rule.READ,
        lambda w, s, a: recipient_page.recipient_page(s, a, w.flow_id, None, 10),
    ),
    Case(
        queries.search_flows,
        Rule.LIST,
        lambda w, s, a: queries.search_flows(s, a, FlowFilters()).total,
    ),
    # notifications/
    Case(archive.count, Rule.LIST, lambda w, s, a: archive.count(s, a, NotificationFilters())),
    Case(
        stats.report,
        Rule.LIST,
        lambda w, s, a: stats.report(s, a, stats.StatsFilters(_this_month())).total.sent,
    ),
    Case(
        stats.reach,
        Rule.LIST,
        lambda w, s, a: sum(
            m.citizens for m in stats.reach(s, a, stats.StatsFilters(_this_month()))
        ),
    ),
    Case(
        archive.iter_columns,
        Rule.LIST,
        lambda w, s, a: _rows(archive.iter_columns(s, a, NotificationFilters())),
    ),
    Case(
        archive.iter_rows,
        Rule.LIST,
        lambda w, s, a: len(list(archive.iter_rows(s, a, NotificationFilters()))),
    ),
    Case(
        archive.search,
        Rule.LIST,
        lambda w, s, a: archive.search(s, a, NotificationFilters()).total,
    ),
    Case(
        corrections.check_correctable,
        Rule.CHANGE,
        lambda w, s, a: corrections.check_correctable(s, a, w.notification_id),
    ),
    Case(
        corrections.correct_notification,
        Rule.CHANGE,
        lambda w, s, a: corrections.correct_notification(
            w.sessions,
            a,
            w.notification_id,
            subject="Rettifica: Promemoria TARI 2026",
            text=TEXT.replace("{{nome}}", "Ada"),
            box=w.keybox,
            base_url=SIMULATOR,
        ),
    ),
    Case(
        corrections.correction_draft,
        Rule.CHANGE,
        lambda w, s, a: corrections.correction_draft(s, a, w.notification_id),
    ),
    Case(detail.get_detail, Rule.READ, lambda w, s, a: detail.get_detail(s, a, w.notification_id)),
    Case(
        detail.notification_row,
        Rule.READ,
        lambda w, s, a: detail.notification_row(s, a, w.notification_id).id,
    ),
    Case(
        status_refresh.refresh_status,
        Rule.CHANGE,
        lambda w, s, a: status_refresh.refresh_status(
            w.sessions, a, w.notification_id, w.keybox, SIMULATOR
        ),
    ),
    Case(
        recipient_check.check_recipient,
        Rule.CHANGE,
        lambda w, s, a: recipient_check.check_recipient(
            w.sessions, a, w.service_id, w.message().fiscal_code, w.keybox, SIMULATOR
        ),
    ),
    Case(
        recipient_check.lookup_profile,
        Rule.CHANGE,
        lambda w, s, a: recipient_check.lookup_profile(
            w.sessions, a, TARI.name, w.message().fiscal_code, w.keybox, SIMULATOR
        ),
    ),
    Case(
        recipient_check.profile_access,
        Rule.CHANGE,
        lambda w, s, a: recipient_check.profile_access(s, a, w.service_id, w.keybox),
    ),
    Case(
        retention.purge_preview,
        Rule.ADMIN,
        lambda w, s, a: retention.purge_preview(s, a, RETENTION, utcnow()),
    ),
    Case(
        retention.run_purge,
        Rule.ADMIN,
        lambda w, s, a: retention.run_purge(w.sessions, a, RETENTION),
    ),
    Case(single.check_new, Rule.CHANGE, lambda w, s, a: single.check_new(s, a, w.message())),
    Case(
        single.mark_sent,
        Rule.CHANGE,
        lambda w, s, a: single.mark_sent(s, a, w.notification_id),
    ),
    Case(
        single.resend,
        Rule.CHANGE,
        lambda w, s, a: single.resend(w.sessions, a, w.notification_id, w.keybox, SIMULATOR),
    ),
    Case(
        single.register_new,
        Rule.CHANGE,
        lambda w, s, a: single.register_new(
            w.sessions,
            a,
            w.message(),
            w.keybox,
            AuditAction.NOTIFICATION_SEND,
            single.NEW_TARGET,
            utcnow,
            Outcome.PENDING,
        ),
    ),
    Case(
        queued.queue_new,
        Rule.CHANGE,
        lambda w, s, a: queued.queue_new(w.sessions, a, w.message(), w.keybox),
    ),
    Case(
        archive_keyset.rows_before,
        Rule.LIST,
        lambda w, s, a: len(archive_keyset.rows_before(s, a, NotificationFilters(), None, 10)[0]),
    ),
    Case(
        single.send_new,
        Rule.CHANGE,
        lambda w, s, a: single.send_new(w.sessions, a, w.message(), w.keybox, SIMULATOR),
    ),
    Case(
        trial.send_file_trial,
        Rule.CHANGE,
        lambda w, s, a: trial.send_file_trial(
            w.sessions,
            a,
            w.service_id,
            CSV,
            "d.csv",
            TEMPLATES,
            "Comunicazione",
            w.keybox,
            SIMULATOR,
        ),
    ),
    Case(
        trial.send_flow_trial,
        Rule.CHANGE,
        lambda w, s, a: trial.send_flow_trial(w.sessions, a, w.flow_id, w.keybox, SIMULATOR),
    ),
    # templates/
    Case(
        template_store.add_template,
        Rule.CHANGE,
        lambda w, s, a: template_store.add_template(s, a, w.service_id, "Nuovo", TEMPLATE_FIELDS),
    ),
    Case(
        template_store.edit_template,
        Rule.CHANGE,
        lambda w, s, a: template_store.edit_template(s, a, _template_id(s), OTHER_FIELDS),
    ),
    Case(
        template_store.find_for_edit,
        Rule.CHANGE,
        lambda w, s, a: template_store.find_for_edit(s, a, TEMPLATE),
    ),
    Case(
        template_store.flow_as_template,
        Rule.CHANGE,
        lambda w, s, a: template_store.flow_as_template(s, a, w.flow_id, "Dal flusso"),
    ),
    Case(
        template_store.notification_as_template,
        Rule.CHANGE,
        lambda w, s, a: template_store.notification_as_template(s, a, w.notification_id, "Da n."),
    ),
    Case(
        template_queries.list_templates,
        Rule.LIST,
        lambda w, s, a: len(template_queries.list_templates(s, a)),
    ),
    Case(
        template_queries.get_template,
        Rule.READ,
        lambda w, s, a: template_queries.get_template(s, a, TEMPLATE),
    ),
    Case(
        template_queries.get_template_by_id,
        Rule.READ,
        lambda w, s, a: template_queries.get_template_by_id(s, a, _template_id(s)),
    ),
    Case(
        template_queries.template_versions,
        Rule.READ,
        lambda w, s, a: template_queries.template_versions(s, a, _template_id(s)),
    ),
    # sending/
    Case(
        system_status.system_status,
        Rule.ADMIN,
        lambda w, s, a: system_status.system_status(s, a),
    ),
)
# Where the operator's own doings are checked.
OWN_REASONS = {
    "accounts.operators.change_own_password": "his own password: tests/test_passwords.py",
    "accounts.operators.logout": "records his own sign-out: tests/audit",
    "accounts.permissions.current_role": "the check itself: every case below goes through it",
}


def _takes_an_actor(function: Callable[..., object]) -> bool:
    """A parameter annotated `Actor` (or `Actor | None`), as written in the source."""
    for parameter in inspect.signature(function).parameters.values():
        annotation = parameter.annotation
        names = re.split(r"[\s|\[\],]+", annotation) if isinstance(annotation, str) else []
        if annotation is Actor or "Actor" in names:
            return True
    return False


def _modules() -> Iterator[Any]:
    for package in PACKAGES:
        root = importlib.import_module(f"appio_core.{package}")
        for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}."):
            yield importlib.import_module(info.name)


def _public_functions_taking_an_actor() -> set[str]:
    return {
        f"{module.__name__.removeprefix('appio_core.')}.{name}"
        for module in _modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and _takes_an_actor(function)
    }


def test_every_public_function_that_takes_an_actor_is_in_the_table() -> None:
    """A new function acting for someone must join CASES, with its rule."""
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    assert set(names) == _public_functions_taking_an_actor()
    assert {case.name for case in CASES if case.rule is Rule.OWN} == set(OWN_REASONS)


def test_the_discovery_sees_a_function_that_takes_an_actor() -> None:
    def acting(session: Session, actor: Actor) -> None: ...

    def maybe_acting(session: Session, actor: Actor | None) -> None: ...

    def not_acting(session: Session, actor_id: int) -> None: ...

    assert [_takes_an_actor(f) for f in (acting, maybe_acting, not_acting)] == [True, True, False]


# -- the world the checks run in ---------------------------------------------------------


def _operator(
    session: Session,
    service_id: int,
    username: str,
    role: Role,
    *,
    enabled: bool,
    active: bool = True,
    signed_in_as: Role | None = None,
) -> Actor:
    """An operator row (no password: nobody signs in here) and the Actor the app would
    hold for him; `signed_in_as` is the role he had at his login, if it changed since."""
    row = Operator(
        username=username, full_name=username, role=role, active=active, password_hash="!"
    )
    session.add(row)
    session.flush()
    if enabled:
        session.execute(insert(service_operators).values(service_id=service_id, operator_id=row.id))
    return Actor(row.id, username, username, signed_in_as or role)


@pytest.fixture
def world(app_env: str, sessions: sessionmaker[Session], keybox: KeyBox) -> World:
    system = Actor.system()
    with sessions.begin() as session:
        data = ServiceInput(
            name=TARI.name,
            io_service_id=TARI.io_service_id,
            primary_key=TARI.primary_key,
            organization_name=DEMO_ORGANIZATION,
            organization_fiscal_code=DEMO_ORGANIZATION_FISCAL_CODE,
            max_payment_amount=TARI.max_payment_amount,
            account=DEMO_ACCOUNT,
        )
        service_id = services.create_service(session, system, data, keybox).id
        flow_id = imported_flow(session, system, service_id, fiscal_codes(2, seed=5)).id
        template_store.add_template(session, system, service_id, TEMPLATE, TEMPLATE_FIELDS)
        people = (
            ("operatore", Role.OPERATOR, True, True, None),
            ("lettore", Role.VIEWER, True, True, None),
            ("estraneo", Role.OPERATOR, False, True, None),
            ("lettore estraneo", Role.VIEWER, False, True, None),
            # Demoted since his login: the app still holds him as an administrator.
            ("ex amministratore", Role.OPERATOR, True, True, Role.ADMIN),
            # Disabled since his login.
            ("disattivato", Role.ADMIN, True, False, None),
        )
        actors = {
            name: _operator(
                session, service_id, name, role, enabled=on, active=active, signed_in_as=was
            )
            for name, role, on, active, was in people
        }
    world = World(sessions, keybox, service_id, flow_id, 0, actors)
    sent = single.send_new(sessions, system, world.message(), keybox, SIMULATOR)
    return World(sessions, keybox, service_id, flow_id, sent.id, actors)


def _refusal(world: World, case: Case, who: str) -> str:
    """The refusal's message, or a failure saying what was allowed."""
    with world.sessions() as session:
        try:
            case.call(world, session, world.actors[who])
        except PermissionDenied as refused:
            return refused.message
        finally:
            session.rollback()
    pytest.fail(f"{case.name} allowed to «{who}»")


def _allowed(world: World, case: Case, who: str) -> object:
    with world.sessions() as session:
        try:
            return case.call(world, session, world.actors[who])
        finally:
            session.rollback()


def _cases(rule: Rule) -> list[Case]:
    return [case for case in CASES if case.rule is rule]


def _ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


ADMIN = _cases(Rule.ADMIN)
CHANGE = _cases(Rule.CHANGE)
READ = _cases(Rule.READ)
LIST = _cases(Rule.LIST)
CHECKED = [case for case in CASES if case.rule is not Rule.OWN]


@pytest.mark.parametrize("case", ADMIN, ids=_ids(ADMIN))
def test_only_an_administrator_as_the_database_has_him_now_may(world: World, case: Case) -> None:
    for who in ("operatore", "lettore", "ex amministratore"):
        assert _refusal(world, case, who).startswith("Solo un amministratore può "), who


@pytest.mark.parametrize("case", CHANGE, ids=_ids(CHANGE))
def test_a_change_is_refused_to_a_viewer_and_to_an_operator_not_enabled_on_the_service(
    world: World, case: Case
) -> None:
    assert _refusal(world, case, "lettore").startswith(
        "Il tuo profilo è di sola consultazione: non puoi "
    )
    assert _refusal(world, case, "estraneo") == "Non sei abilitato a questo servizio."


@pytest.mark.parametrize("case", READ, ids=_ids(READ))
def test_a_read_is_refused_to_who_is_not_enabled_on_the_service_and_not_to_a_viewer(
    world: World, case: Case
) -> None:
    for who in ("estraneo", "lettore estraneo"):
        assert _refusal(world, case, who) == "Non sei abilitato a questo servizio.", who
    _allowed(world, case, "lettore")


@pytest.mark.parametrize("case", LIST, ids=_ids(LIST))
def test_a_list_shows_nothing_of_a_service_to_who_is_not_enabled_on_it(
    world: World, case: Case
) -> None:
    for who in ("estraneo", "lettore estraneo"):
        assert _allowed(world, case, who) == 0, who
    assert _allowed(world, case, "operatore") > 0  # type: ignore[operator]


@pytest.mark.parametrize("case", CHECKED, ids=_ids(CHECKED))
def test_a_disabled_account_is_refused_everything(world: World, case: Case) -> None:
    assert _refusal(world, case, "disattivato") == (
        "Il tuo account è stato disattivato: non puoi più operare. Se è un errore, chiedi"
        " a un amministratore."
    )


# -- what the roles may do -----------------------------------------------------------------


def test_a_viewer_enabled_on_a_service_may_read_it_but_not_send(world: World) -> None:
    viewer = world.actors["lettore"]
    with world.sessions() as session:
        assert services.find_service(session, viewer, TARI.name).id == world.service_id
        with pytest.raises(PermissionDenied, match="sola consultazione"):
            permissions.require_service_send(session, viewer, world.service_id)
        assert services.sendable_services(session, viewer) == []


def test_an_enabled_operator_may_send_and_sees_only_their_services(world: World) -> None:
    operator = world.actors["operatore"]
    with world.sessions.begin() as session:
        services.create_service(session, Actor.system(), OTHER, world.keybox)
    with world.sessions() as session:
        permissions.require_service_send(session, operator, world.service_id)
        assert [v.name for v in services.list_services(session, operator)] == [TARI.name]
        assert [v.name for v in services.list_services(session, Actor.system())] == [
            "Mensa",
            TARI.name,
        ]
        assert [v.name for v in services.sendable_services(session, operator)] == [TARI.name]
