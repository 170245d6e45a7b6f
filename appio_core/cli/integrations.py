"""`appio integration add|list|revoke`: the API's keys for the comune's other systems."""

from __future__ import annotations

import json
from datetime import date

import click

from appio_core.cli.common import Context, ItalianDate, pass_context

SCOPE_VALUES = ["notifications:send", "notifications:read", "flows:manage", "flows:read"]


@click.group()
def integration() -> None:
    """Integrazioni: le chiavi dell'API per gli altri sistemi del comune."""


@integration.command("add")
@click.argument("name")
@click.option(
    "--service",
    "services",
    multiple=True,
    required=True,
    metavar="SERVIZIO",
    help="Un servizio che l'integrazione può usare (ripetibile).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPE_VALUES),
    help="Un permesso (ripetibile); senza, tutti: invio e lettura delle notifiche, gestione"
    " e lettura dei flussi.",
)
@click.option("--webhook-url", metavar="URL", help="Dove inviare gli eventi (webhook firmati).")
@click.option("--expires", type=ItalianDate(), help="Ultimo giorno di validità della chiave.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def add(
    ctx: Context,
    name: str,
    services: tuple[str, ...],
    scopes: tuple[str, ...],
    webhook_url: str | None,
    expires: date | None,
    fmt: str,
) -> None:
    """Crea un'integrazione e ne mostra la chiave (una volta sola)."""
    from appio_core.accounts.services import find_service
    from appio_core.integrations.keys import NewIntegration, create_integration
    from appio_core.integrations.scopes import ALL_SCOPES, Scope
    from appio_core.italian import end_of_local_day

    with ctx.transaction() as session:
        service_ids = tuple(find_service(session, ctx.actor, s).id for s in services)
        data = NewIntegration(
            name=name,
            service_ids=service_ids,
            scopes=frozenset(Scope(s) for s in scopes) if scopes else ALL_SCOPES,
            webhook_url=webhook_url,
            expires_at=end_of_local_day(expires) if expires else None,
        )
        made = create_integration(session, ctx.actor, data, ctx.keybox)
    if fmt == "json":
        out: dict[str, object] = {"id": made.id, "name": made.name, "key": made.key}
        if made.webhook_secret:
            out["webhook_secret"] = made.webhook_secret
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"Integrazione «{made.name}» creata. Chiave (mostrata solo ora, conservala):")
    click.echo(made.key)
    if made.webhook_secret:
        click.echo("Segreto per verificare i webhook (mostrato solo ora):")
        click.echo(made.webhook_secret)


@integration.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_(ctx: Context, fmt: str) -> None:
    """Elenca le integrazioni: servizi, permessi, stato e ultimo uso della chiave."""
    from appio_core.integrations.keys import list_integrations
    from appio_core.italian import local_time

    with ctx.transaction() as session:
        rows = list_integrations(session, ctx.actor)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "services": list(r.services),
                        "scopes": sorted(s.value for s in r.scopes),
                        "active": r.active,
                        "key_hint": r.key_hint,
                        "webhook_url": r.webhook_url,
                        "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                        "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                        "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    if not rows:
        click.echo("Nessuna integrazione.")
    for r in rows:
        used = local_time(r.last_used_at) if r.last_used_at else "mai"
        click.echo(
            f"{r.name} ({r.state}) · chiave {r.key_hint}… · servizi: {', '.join(r.services)}"
            f" · permessi: {', '.join(sorted(s.label for s in r.scopes))} · ultimo uso: {used}"
        )


@integration.command("revoke")
@click.argument("name")
@pass_context
def revoke(ctx: Context, name: str) -> None:
    """Revoca la chiave di un'integrazione: smette di funzionare subito."""
    from appio_core.integrations.keys import revoke_integration

    with ctx.transaction() as session:
        revoke_integration(session, ctx.actor, name)
    click.echo(f"Integrazione «{name}» revocata: la sua chiave non è più valida.")
