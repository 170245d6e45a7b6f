"""The ente's manage key, «Importa da IO» and «Rigenera chiavi» in the core, against the
in-process simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.io_import import ACCOUNT_NOTE, import_services, io_services
from appio_core.accounts.key_regeneration import (
    STEP_BACK,
    STEP_SECONDARY,
    STEP_SWITCH,
    regenerate_keys,
    step_primary,
)
from appio_core.accounts.manage_key import (
    NO_MANAGE_KEY,
    manage_key_view,
    open_manage_key,
    set_manage_key,
)
from appio_core.accounts.permissions import Actor
from appio_core.accounts.security import KeyBox
from appio_core.accounts.service_keys import open_keys
from appio_core.accounts.services import ServiceInput, create_service
from appio_core.audit.models import AUDIT_LOG
from appio_core.domain import Outcome, Role
from appio_core.errors import Conflict, InvalidInput, PermissionDenied
from appio_core.io.client import SIMULATOR_API_URL
from appio_core.io.errors import ManageKeyRefused, ServiceUnavailable
from appio_core.io.manage import ManageClient
from appio_core.io.models import ApiKeys
from appio_core.io.simulator import SimulatorApp, create_app, demo_config
from appio_core.io.simulator.demo import (
    DEMO_IO_ONLY_SERVICES,
    DEMO_MANAGE_KEY,
    DEMO_ORGANIZATION,
    DEMO_SERVICES,
)
from appio_core.storage.db import session_scope
from appio_core.storage.models import Notification, Service, utcnow

TRIBUTI, MENSA, ANAGRAFE = DEMO_SERVICES
POLIZIA, SOCIALI = DEMO_IO_ONLY_SERVICES


@pytest.fixture
def sim() -> SimulatorApp:
    return create_app(demo_config(rate_limit=False, processing_delay=0.0))


def manage_on(
    app: SimulatorApp,
    meddle: Callable[[httpx.Request, httpx.Response], Awaitable[httpx.Response]] | None = None,
    instead: Callable[[httpx.Request], httpx.Response | None] = lambda request: None,
) -> ManageClient:
    """A client of the simulator's management API: `instead` may answer in its place (the
    request never reaches it), `meddle` may change its answer."""
    inner = httpx.ASGITransport(app=app)

    async def handle(request: httpx.Request) -> httpx.Response:
        if (answer := instead(request)) is not None:
            return answer
        response = await inner.handle_async_request(request)
        await response.aread()
        return await meddle(request, response) if meddle else response

    transport = httpx.MockTransport(handle)
    return ManageClient(SIMULATOR_API_URL, httpx.AsyncClient(transport=transport), rng=lambda: 0.5)


@pytest.fixture
def manage(sim: SimulatorApp) -> ManageClient:
    return manage_on(sim)


def demo_input(demo: object, **changes: object) -> ServiceInput:
    values = {
        "name": demo.name,  # type: ignore[attr-defined]
        "io_service_id": demo.io_service_id,  # type: ignore[attr-defined]
        "primary_key": demo.primary_key,  # type: ignore[attr-defined]
        "secondary_key": demo.secondary_key,  # type: ignore[attr-defined]
        **changes,
    }
    return ServiceInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def tributi(sessions: sessionmaker[Session], keybox: KeyBox, admin: Actor) -> Iterator[int]:
    """Tributi here, with the demo's keys, and the ente's manage key set."""
    with session_scope(sessions) as session:
        service = create_service(session, admin, demo_input(TRIBUTI), keybox)
        set_manage_key(session, admin, DEMO_MANAGE_KEY, keybox)
        service_id = service.id
    yield service_id


def audit_details(session: Session, action: str) -> list[str]:
    rows = session.execute(
        select(AUDIT_LOG.c.detail).where(AUDIT_LOG.c.action == action).order_by(AUDIT_LOG.c.id)
    )
    return list(rows.scalars())


# -- the manage key ----------------------------------------------------------------------


def test_the_manage_key_is_stored_encrypted_and_shown_masked(
    session: Session, admin: Actor, keybox: KeyBox, engine: Engine
) -> None:
    assert manage_key_view(session) is None
    view = set_manage_key(session, admin, f"  {DEMO_MANAGE_KEY} ", keybox)
    session.commit()
    assert (view.masked, view.set_by) == ("••••0001", "appio-cli")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM institution")).one()
    assert all(DEMO_MANAGE_KEY not in str(value) for value in stored)
    assert open_manage_key(session, admin, keybox) == DEMO_MANAGE_KEY
    assert audit_details(session, "service.manage-key") == ["Chiave impostata."]
    set_manage_key(session, admin, "another-manage-key-9999", keybox)
    assert manage_key_view(session).masked == "••••9999"  # type: ignore[union-attr]
    assert audit_details(session, "service.manage-key")[-1] == "Chiave sostituita."


@pytest.mark.parametrize("key", ["short", "has spaces in it", "x" * 201, "àccentata-chiave"])
def test_a_malformed_manage_key_is_refused_with_what_to_fix(
    session: Session, admin: Actor, keybox: KeyBox, key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_manage_key(session, admin, key, keybox)
    assert refused.value.message == (
        "Chiave di gestione non valida: copiala per intero dall'Area riservata di IO, senza"
        " spazi (almeno 8 caratteri tra lettere, cifre, - e _)."
    )


def test_only_an_administrator_sets_or_uses_the_manage_key(
    session: Session,
    admin: Actor,
    keybox: KeyBox,
    make_actor: Callable[[str, Role], Actor],
) -> None:
    set_manage_key(session, admin, DEMO_MANAGE_KEY, keybox)
    operator = make_actor("mrossi", Role.OPERATOR)
    for call in (
        lambda: set_manage_key(session, operator, DEMO_MANAGE_KEY, keybox),
        lambda: open_manage_key(session, operator, keybox),
    ):
        with pytest.raises(PermissionDenied, match="Solo un amministratore"):
            call()


async def test_without_a_manage_key_the_import_says_how_to_set_one(
    session: Session, admin: Actor, keybox: KeyBox, manage: ManageClient
) -> None:
    with pytest.raises(Conflict) as missing:
        await io_services(session, admin, keybox, manage)
    assert missing.value.message == NO_MANAGE_KEY
    assert NO_MANAGE_KEY.startswith("Manca la chiave di gestione (manage) dell'ente: un")


async def test_a_manage_key_io_does_not_know_is_refused_in_italian(
    session: Session, admin: Actor, keybox: KeyBox, manage: ManageClient
) -> None:
    set_manage_key(session, admin, "not-the-manage-key", keybox)
    with pytest.raises(ManageKeyRefused, match=r"^La chiave di gestione \(manage\) è stata"):
        await io_services(session, admin, keybox, manage)


# -- «Importa da IO» ---------------------------------------------------------------------


async def test_the_ente_s_services_on_io_are_listed_with_those_already_here_marked(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        rows = await io_services(session, admin, keybox, manage)
    assert [(r.service.name, r.local_name) for r in rows] == [
        ("Tributi - TARI", "Tributi - TARI"),
        ("Servizi scolastici - Mensa", None),
        ("Anagrafe - Carta d'identità", None),
        ("Polizia locale - Sanzioni", None),
        ("Servizi sociali - Contributi", None),
    ]


async def test_chosen_services_are_imported_with_their_keys_from_io_on_the_default_account(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    tributi: int,
) -> None:  # fmt: skip
    chosen = [POLIZIA.io_service_id, TRIBUTI.io_service_id]
    with session_scope(sessions) as session:
        report = await import_services(session, admin, keybox, manage, chosen)
    assert report.lines() == [
        "Aggiunti 1: «Polizia locale - Sanzioni».",
        ACCOUNT_NOTE,
        f"Già presenti, lasciati invariati: «Tributi - TARI» ({TRIBUTI.io_service_id}).",
    ]
    assert ACCOUNT_NOTE.startswith("I servizi importati usano l'account IO «principale»")
    with session_scope(sessions) as session:
        polizia = session.scalar(select(Service).where(Service.name == POLIZIA.name))
        assert polizia is not None
        assert open_keys(polizia, keybox) == ApiKeys(POLIZIA.primary_key, POLIZIA.secondary_key)
        assert (polizia.io_service_id, polizia.account.name, polizia.max_payment_amount) == (
            POLIZIA.io_service_id, "principale", 200_000,
        )  # fmt: skip
        assert (polizia.organization_name, polizia.active) == (DEMO_ORGANIZATION, True)
        assert audit_details(session, "service.import") == [" ".join(report.lines())]


async def test_importing_everything_twice_adds_each_service_once(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        first = await import_services(session, admin, keybox, manage, None)
    assert len(first.added) == 4 and len(first.present) == 1
    with session_scope(sessions) as session:
        again = await import_services(session, admin, keybox, manage, None)
        assert (again.added, len(again.present)) == ((), 5)
        assert session.query(Service).count() == 5


async def test_a_service_whose_name_is_taken_here_or_unknown_to_io_is_not_imported(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        other = demo_input(MENSA, io_service_id="01JANOTHERMENSA", primary_key="mensa-key-0001")
        create_service(session, admin, other, keybox)
    with session_scope(sessions) as session:
        report = await import_services(
            session, admin, keybox, manage, [MENSA.io_service_id, "01JNOTONIO"]
        )
    assert report.lines() == [
        f"Non importato: «Servizi scolastici - Mensa» ({MENSA.io_service_id}): c'è già un"
        " servizio con questo nome ma un altro identificativo IO; rinomina quello nella"
        " pagina Servizi, poi importa.",
        "Non importato: «01JNOTONIO»: IO non ha un servizio con questo identificativo.",
    ]


# -- «Rigenera chiavi» -------------------------------------------------------------------


def stored_keys(sessions: sessionmaker[Session], service_id: int, box: KeyBox) -> ApiKeys:
    with session_scope(sessions) as session:
        service = session.get(Service, service_id)
        assert service is not None
        return open_keys(service, box)


def io_keys(sim: SimulatorApp, demo: object) -> ApiKeys:
    keys = sim.gateway.keys_of(demo.io_service_id)  # type: ignore[attr-defined]
    return ApiKeys(keys["primary"], keys["secondary"])


async def test_regeneration_replaces_both_keys_on_io_and_here_in_four_steps(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    sim: SimulatorApp, tributi: int,
) -> None:  # fmt: skip
    done = await regenerate_keys(sessions, admin, tributi, keybox, manage)
    assert done.steps == (
        STEP_SECONDARY, STEP_SWITCH, step_primary(0), STEP_BACK,
    )  # fmt: skip
    now = io_keys(sim, TRIBUTI)
    assert now.primary != TRIBUTI.primary_key and now.secondary != TRIBUTI.secondary_key
    assert stored_keys(sessions, tributi, keybox) == now  # the primary first again
    operations = [(e.method, e.path.rsplit("/", 1)[-1]) for e in sim.record.requests]
    assert operations == [("PUT", "secondary"), ("PUT", "primary")]
    with session_scope(sessions) as session:
        assert audit_details(session, "service.keys-regenerate") == [
            "Avviata: IO rigenera una chiave alla volta, l'app usa sempre l'altra.",
            *done.steps,
        ]
        service = session.get(Service, tributi)
        assert service is not None
        assert (service.secondary_first, service.keys_regeneration_started_at) == (False, None)


async def test_no_key_nor_its_last_four_characters_is_ever_in_the_audit_log(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    sim: SimulatorApp, tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        await import_services(session, admin, keybox, manage, None)
    for service_id in range(1, 6):
        await regenerate_keys(sessions, admin, service_id, keybox, manage)
    keys = {DEMO_MANAGE_KEY}
    for demo in (*DEMO_SERVICES, *DEMO_IO_ONLY_SERVICES):
        keys |= {demo.primary_key, demo.secondary_key, *io_keys(sim, demo).__dict__.values()}
    with session_scope(sessions) as session:
        # The text columns: a key's last four characters may well be digits of a time.
        rows = session.execute(select(AUDIT_LOG))
        logged = [" | ".join(v for v in row if isinstance(v, str)) for row in rows]
    assert len(logged) > 30
    leaks = [(k, line) for k in keys for line in logged if k[-4:] in line]
    assert leaks == []


async def test_a_regeneration_stopped_after_the_switch_goes_on_from_step_3(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, sim: SimulatorApp,
    tributi: int,
) -> None:  # fmt: skip
    def unavailable_for_the_primary(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path.endswith("/primary"):
            return httpx.Response(503, json={"statusCode": 503, "message": "Unavailable"})
        return None

    with pytest.raises(ServiceUnavailable):
        await regenerate_keys(
            sessions, admin, tributi, keybox, manage_on(sim, instead=unavailable_for_the_primary)
        )
    new_secondary = io_keys(sim, TRIBUTI).secondary
    assert io_keys(sim, TRIBUTI).primary == TRIBUTI.primary_key
    assert stored_keys(sessions, tributi, keybox) == ApiKeys(new_secondary, TRIBUTI.primary_key)
    with session_scope(sessions) as session:
        assert audit_details(session, "service.keys-regenerate")[-1] == (
            "Interrotta: IO non è disponibile in questo momento (codice 503): riprova più"
            " tardi. L'app usa la nuova chiave secondaria, che funziona: ripeti «Rigenera"
            " chiavi» per rigenerare la primaria."
        )
    done = await regenerate_keys(sessions, admin, tributi, keybox, manage_on(sim))
    assert done.steps == (step_primary(0), STEP_BACK)
    assert io_keys(sim, TRIBUTI).secondary == new_secondary
    assert stored_keys(sessions, tributi, keybox) == io_keys(sim, TRIBUTI)
    with session_scope(sessions) as session:
        assert audit_details(session, "service.keys-regenerate")[-3] == (
            "Ripresa dal passo 3: l'app usa già la nuova chiave secondaria."
        )


async def test_a_regeneration_whose_answer_was_lost_reads_the_keys_and_never_repeats_it(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, sim: SimulatorApp,
    tributi: int,
) -> None:  # fmt: skip
    async def lost(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "PUT":  # IO did it; its answer did not arrive
            return httpx.Response(500, json={"title": "Internal server error", "status": 500})
        return response

    await regenerate_keys(sessions, admin, tributi, keybox, manage_on(sim, lost))
    assert [e.method for e in sim.record.requests] == ["PUT", "GET", "PUT", "GET"]
    assert stored_keys(sessions, tributi, keybox) == io_keys(sim, TRIBUTI)
    assert io_keys(sim, TRIBUTI).primary != TRIBUTI.primary_key


async def test_only_one_regeneration_of_a_service_runs_at_a_time(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        session.execute(
            update(Service).values(keys_regeneration_started_at=utcnow() - timedelta(minutes=5))
        )
    with pytest.raises(Conflict) as running:
        await regenerate_keys(sessions, admin, tributi, keybox, manage)
    assert running.value.message == (
        "La rigenerazione delle chiavi del servizio «Tributi - TARI» è già in corso: attendi"
        " che finisca (il registro attività ne mostra i passi)."
    )
    with session_scope(sessions) as session:  # one started two hours ago is dead
        session.execute(
            update(Service).values(keys_regeneration_started_at=utcnow() - timedelta(hours=2))
        )
    assert len((await regenerate_keys(sessions, admin, tributi, keybox, manage)).steps) == 4


async def test_the_wait_for_sends_under_way_gives_up_after_its_patience_changing_nothing(
    sessions: sessionmaker[Session], admin: Actor, keybox: KeyBox, manage: ManageClient,
    sim: SimulatorApp, tributi: int,
) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        stuck = Notification(
            service_id=tributi, created_by="mrossi", fiscal_code="RSSMRA85T10A562S",
            subject="Avviso", markdown="x", outcome=Outcome.SENDING, worker_id="gone",
        )  # fmt: skip
        session.add(stuck)
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with pytest.raises(Conflict) as given_up:
        await regenerate_keys(
            sessions, admin, tributi, keybox, manage, sleep=sleep, poll=10.0, patience=60.0,
            clock=lambda: now[0],
        )  # fmt: skip
    assert given_up.value.message == (
        "Gli invii in corso del servizio «Tributi - TARI» non sono terminati entro un minuto"
        " (un worker fermo?): la chiave che usano non è stata rigenerata."
    )
    assert waits == [10.0] * 6
    assert sim.record.requests == []
    assert stored_keys(sessions, tributi, keybox) == ApiKeys(
        TRIBUTI.primary_key, TRIBUTI.secondary_key
    )
    with session_scope(sessions) as session:
        assert audit_details(session, "service.keys-regenerate")[-1].endswith(
            "Le chiavi del servizio non sono cambiate."
        )


def test_an_operator_may_not_regenerate_keys(
    sessions: sessionmaker[Session], keybox: KeyBox, manage: ManageClient, tributi: int,
    make_actor: Callable[[str, Role], Actor], session: Session,
) -> None:  # fmt: skip
    import asyncio

    operator = make_actor("mrossi", Role.OPERATOR)
    session.commit()
    with pytest.raises(PermissionDenied, match="Solo un amministratore"):
        asyncio.run(regenerate_keys(sessions, operator, tributi, keybox, manage))


@pytest.mark.parametrize(
    ("waited", "said"),
    [
        (0, "nessun invio in corso usava la chiave primaria"),
        (1, "terminato l'invio in corso con la chiave primaria"),
        (1234, "terminati i 1.234 invii in corso con la chiave primaria"),
    ],
)
def test_step_3_says_how_many_sends_it_waited_for(waited: int, said: str) -> None:
    assert step_primary(waited) == (
        f"Passo 3 di 4: {said}; IO l'ha rigenerata e la nuova è salvata cifrata."
    )
