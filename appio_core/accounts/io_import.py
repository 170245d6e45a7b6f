"""«Importa da IO»: the ente's services as IO's management API lists them, and the import of
those an administrator chooses, with their keys read from IO (no copy and paste).

A service already here is recognised by its IO service id and left alone. An imported
service goes on the default IO account, as a service added on «Servizi» does: its
services share one rate limit (the page and the command say so, and where to change it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from appio_core.accounts.manage_key import open_manage_key
from appio_core.accounts.permissions import Actor, require_admin
from appio_core.accounts.security import KeyBox
from appio_core.accounts.services import DEFAULT_ACCOUNT, ServiceInput, create_service
from appio_core.audit import AuditAction, recording
from appio_core.errors import AppError, InvalidInput
from appio_core.io.manage import IoService, ManageClient
from appio_core.storage.models import Service

# What a new service gets on «Servizi» (€ 10.000,00), for a service IO has no maximum for.
DEFAULT_MAX_AMOUNT = 1_000_000
ACCOUNT_NOTE = (
    f"I servizi importati usano l'account IO «{DEFAULT_ACCOUNT}», come un servizio aggiunto"
    " a mano: ne condividono il limite di invio. Se un servizio è su un altro account IO,"
    " cambialo nella pagina Servizi."
)


@dataclass(frozen=True)
class IoServiceRow:
    """A service of the ente on IO, and its name here when it is already here."""

    service: IoService
    local_name: str | None

    @property
    def present(self) -> bool:
        return self.local_name is not None


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]  # names of the services added
    present: tuple[str, ...]  # «name here» (IO id): already here, left alone
    skipped: tuple[str, ...]  # «name» (IO id): why it was not added

    def lines(self) -> list[str]:
        lines = []
        if self.added:
            lines.append(f"Aggiunti {len(self.added)}: {', '.join(self.added)}.")
            lines.append(ACCOUNT_NOTE)
        if self.present:
            lines.append(f"Già presenti, lasciati invariati: {', '.join(self.present)}.")
        lines += [f"Non importato: {why}" for why in self.skipped]
        return lines or ["Nessun servizio da importare."]


async def io_services(
    session: Session, actor: Actor, box: KeyBox, client: ManageClient
) -> list[IoServiceRow]:
    """The ente's services on IO, each with its name here when it is already here."""
    manage_key = open_manage_key(session, actor, box)  # administrators only
    listed = await client.all_services(manage_key)
    local = {
        io_id: name for io_id, name in session.execute(select(Service.io_service_id, Service.name))
    }
    return [IoServiceRow(s, local.get(s.id)) for s in listed]


async def import_services(
    session: Session,
    actor: Actor,
    box: KeyBox,
    client: ManageClient,
    service_ids: Sequence[str] | None,
) -> ImportReport:
    """Adds the chosen services of IO (None: all of them) with their keys read from IO.

    In the caller's transaction: all the services the report says were added, or none."""
    with recording(session, actor, AuditAction.SERVICE_IMPORT, "servizi da IO") as entry:
        require_admin(session, actor)
        if service_ids is not None and not service_ids:
            raise InvalidInput("Scegli almeno un servizio da importare.")
        manage_key = open_manage_key(session, actor, box)
        listed = {s.id: s for s in await client.all_services(manage_key)}
        local = {
            io_id: name
            for io_id, name in session.execute(select(Service.io_service_id, Service.name))
        }
        names = set(local.values())
        added: list[str] = []
        present: list[str] = []
        skipped: list[str] = []
        for io_id in dict.fromkeys(service_ids if service_ids is not None else listed):
            found = listed.get(io_id)
            if io_id in local:
                present.append(f"«{local[io_id]}» ({io_id})")
            elif found is None:
                skipped.append(f"«{io_id}»: IO non ha un servizio con questo identificativo.")
            elif found.state == "deleted":
                skipped.append(f"«{found.name}» ({io_id}): è eliminato su IO.")
            elif found.name.strip() in names:
                skipped.append(
                    f"«{found.name}» ({io_id}): c'è già un servizio con questo nome ma un altro"
                    " identificativo IO; rinomina quello nella pagina Servizi, poi importa."
                )
            else:
                keys = await client.get_keys(manage_key, io_id)
                try:
                    create_service(session, actor, _input(found, keys.primary, keys.secondary), box)
                except AppError as refused:
                    skipped.append(f"«{found.name}» ({io_id}): {refused.message}")
                    continue
                added.append(f"«{found.name.strip()}»")
                names.add(found.name.strip())
        report = ImportReport(tuple(added), tuple(present), tuple(skipped))
        entry.detail = " ".join(report.lines())
        entry.skip = not added and not skipped
        return report


def _input(found: IoService, primary: str, secondary: str | None) -> ServiceInput:
    return ServiceInput(
        name=found.name,
        io_service_id=found.id,
        primary_key=primary,
        secondary_key=secondary,
        organization_name=found.organization_name,
        organization_fiscal_code=found.organization_fiscal_code,
        max_payment_amount=found.max_payment_amount or DEFAULT_MAX_AMOUNT,
        account=DEFAULT_ACCOUNT,
    )
