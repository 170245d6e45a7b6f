"""Demo flows in different states, sent through the in-process IO simulator.

Only for a demo installation (APPIO_IO_BASE_URL=simulator): a newcomer opens the app
and sees flows that went out, one in preparation, one ready, one paused.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.operators import get_operator
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.demo.accounts import DEMO_ADMIN_USERNAME, DEMO_OPERATORS
from appio_core.domain import FINISHED_STATES, FeatureLevel, Natura
from appio_core.flows import actions, importing
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator.population import Kind
from appio_core.sending.dispatcher import Dispatcher, DispatcherConfig
from appio_core.storage.db import session_scope
from appio_core.storage.models import Flow, Notification, Service

TARI_TEXT = (
    "Gentile {{nome}}, è disponibile l'avviso di pagamento della **TARI 2026** per l'immobile "
    "di {{indirizzo}}. Puoi pagarlo direttamente da App IO con pagoPA entro la scadenza "
    "indicata, oppure presso gli sportelli abilitati."
)
MENSA_TEXT = (
    "Gentile {{nome}}, dal 1° dicembre la mensa scolastica adotta il **menù invernale**. "
    "Il menù completo e le diete speciali sono pubblicati sul sito del Comune, nella sezione "
    "Scuola. Per segnalazioni scrivi all'ufficio istruzione."
)
CIE_TEXT = (
    "Gentile {{nome}}, la tua carta d'identità scade il {{scadenza_cie}}. Prenota il rinnovo "
    "della carta d'identità elettronica sull'Agenda CIE del Ministero dell'Interno: il "
    "giorno dell'appuntamento porta una fototessera recente e la carta scaduta."
)
NAMES = ("Maria", "Giuseppe", "Anna", "Francesco", "Laura", "Antonio", "Giulia", "Marco")
STREETS = ("via Roma 1", "corso Italia 12", "piazza Garibaldi 3", "via Verdi 27")


def _codes(kind: Kind, service_id: str, count: int, skip: int = 0) -> list[str]:
    population = in_process_simulator().population
    return population.find(kind, service_id, count + skip)[skip:]


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _tari_file(codes: list[str]) -> bytes:
    due = (date.today() + timedelta(days=60)).strftime("%d/%m/%Y")
    rows = [
        f"{cf};{NAMES[i % 8]};{STREETS[i % 4]};{120 + i * 7},50;3020000{i:011d};{due}"
        for i, cf in enumerate(codes)
    ]
    return _csv("Codice fiscale;Nome;Indirizzo;Importo;Numero avviso;Scadenza", rows)


def _people_file(codes: list[str], extra: str = "") -> bytes:
    header = "codice_fiscale;nome" + (";scadenza_cie" if extra else "")
    rows = [f"{cf};{NAMES[i % 8]}" + (f";{extra}" if extra else "") for i, cf in enumerate(codes)]
    return _csv(header, rows)


def file_name(flow_name: str) -> str:
    """A natural file name: «Mensa - iscrizioni 2027» -> mensa-iscrizioni-2027.csv."""
    plain = unicodedata.normalize("NFKD", flow_name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") + ".csv"


def _author(session: Session, service: Service) -> Actor:
    """The demo operator enabled on the service (Mario Rossi), else the demo administrator:
    the flows read as made by people, not by the command line."""
    operator = get_operator(session, DEMO_OPERATORS[0].username)
    if service.name in DEMO_OPERATORS[0].services:
        return Actor.of(operator)
    return Actor.of(get_operator(session, DEMO_ADMIN_USERNAME))


def _import(
    session: Session,
    service: Service,
    name: str,
    natura: Natura,
    content: bytes,
    subject: str,
    text: str,
    *,
    advanced: bool = False,
) -> Flow:
    return importing.import_flow(
        session,
        _author(session, service),
        service_id=service.id,
        name=name,
        natura=natura.value,
        source=content,
        filename=file_name(name),
        templates=importing.Templates(subject, text),
        options=importing.FlowOptions(feature_level=FeatureLevel.chosen(advanced)),
    )


def seed_demo_flows(sessions: sessionmaker[Session], box: KeyBox, base_url: str) -> None:
    """Adds the demo flows once (nothing happens when any flow exists)."""
    with session_scope(sessions) as session:
        if session.scalar(select(Flow.id).limit(1)) is not None:
            return
        services = {s.name: s for s in session.scalars(select(Service))}
        tari, mensa, cie = (
            services["Tributi - TARI"],
            services["Servizi scolastici - Mensa"],
            services["Anagrafe - Carta d'identità"],
        )
        # Small enough for one window of the demo account's limit (150 requests per 5 s).
        mixed = (
            _codes(Kind.WITH_IO, tari.io_service_id, 16)
            + _codes(Kind.WITHOUT_IO, tari.io_service_id, 3)
            + _codes(Kind.BLOCKED, tari.io_service_id, 1)
        )
        sent = [
            _import(
                session,
                tari,
                "TARI 2026 - avviso di pagamento",
                Natura.PAYMENT_NOTICE,
                _tari_file(mixed),
                "TARI 2026: avviso di pagamento per {{nome}}",
                TARI_TEXT,
                advanced=True,
            ),
            _import(
                session,
                mensa,
                "Mensa - menù invernale",
                Natura.COMMUNICATION,
                _people_file(_codes(Kind.WITH_IO, mensa.io_service_id, 12)),
                "Mensa scolastica: menù invernale",
                MENSA_TEXT,
            ),
        ]
        paused = _import(
            session,
            mensa,
            "Mensa - iscrizioni 2027",
            Natura.COMMUNICATION,
            _people_file(_codes(Kind.WITH_IO, mensa.io_service_id, 30, skip=12)),
            "Mensa scolastica: iscrizioni aperte",
            MENSA_TEXT,
        )
        ready = _import(
            session,
            cie,
            "Carte d'identità in scadenza",
            Natura.DUE_DATE_REMINDER,
            _people_file(["AAAAAA00A00A000A"], extra="31/01/2027"),
            "La tua carta d'identità è in scadenza",
            CIE_TEXT,
        )
        _import(
            session,
            tari,
            "Sollecito TARI 2025",
            Natura.PAYMENT_REMINDER,
            _tari_file(_codes(Kind.WITH_IO, tari.io_service_id, 12, skip=16)),
            "Sollecito TARI 2025 per {{nome}}",
            TARI_TEXT,
        )
        for flow in [*sent, paused, ready]:
            actions.activate(session, _author(session, flow.service), flow.id)
        for flow in sent:
            actions.send(session, _author(session, flow.service), flow.id)
        sent_ids, paused_id = [f.id for f in sent], paused.id
        mensa_operator = _author(session, mensa)
    asyncio.run(_send(sessions, box, base_url, sent_ids, paused_id, mensa_operator))


async def _send(
    sessions: sessionmaker[Session],
    box: KeyBox,
    base_url: str,
    sent_ids: list[int],
    paused_id: int,
    operator: Actor,
) -> None:
    config = DispatcherConfig(
        batch_size=20,
        concurrency=10,
        idle_sleep=0.2,
        status_first_check=2.5,
        status_min_interval=1.0,
    )
    dispatcher = Dispatcher(sessions, box, base_url, config)

    def done() -> bool:
        with session_scope(sessions) as session:
            states = [session.get(Flow, f).state for f in sent_ids]  # type: ignore[union-attr]
            pending = session.scalar(
                select(Notification.id)
                .where(Notification.flow_id.in_(sent_ids), Notification.outcome == "accettato")
                .limit(1)
            )
        return all(s in FINISHED_STATES for s in states) and pending is None

    for _ in range(100):
        await dispatcher.tick()
        if done():
            break
        await asyncio.sleep(0.3)
    with session_scope(sessions) as session:
        actions.send(session, operator, paused_id)
    await dispatcher.tick()  # one batch, then the operator «paused» it
    with session_scope(sessions) as session:
        actions.pause(session, operator, paused_id)
    await dispatcher.close()
