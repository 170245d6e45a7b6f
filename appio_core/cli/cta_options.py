"""`--cta` and `--secure-channel`: the same options on `notification send`, `io send`,
`flow import` and `flow edit`; the rules are appio_core.content.cta's."""

from __future__ import annotations

from typing import Any

import click

from appio_core.content import cta

CTA_HELP = (
    "Un pulsante sotto il testo: «Etichetta=azione» (o «Etichetta|Label in inglese=azione»);"
    " azione: https://..., tel:..., mailto:... o iosso://https://... Ripetibile, al massimo 2."
)
SECURE_HELP = (
    "Canale sicuro (require_secure_channels di IO): niente e-mail, notifica push senza"
    " contenuto; per contenuti che non devono comparire in una notifica o in un'e-mail."
)


def cta_option(command: Any) -> Any:
    return click.option("--cta", "cta", multiple=True, metavar="ETICHETTA=AZIONE", help=CTA_HELP)(
        command
    )


def secure_option(command: Any) -> Any:
    return click.option("--secure-channel", is_flag=True, help=SECURE_HELP)(command)


def edit_options(what: str) -> Any:
    """`--cta` (the new buttons), `--no-cta` and `--[no-]secure-channel` on an edit of a
    flow or a template, `what` naming it («del flusso», «del modello»)."""

    def add(command: Any) -> Any:
        command = click.option(
            "--secure-channel/--no-secure-channel",
            default=None,
            help="Attiva o toglie il canale sicuro (niente e-mail, notifica push senza contenuto).",
        )(command)
        command = click.option("--no-cta", is_flag=True, help=f"Toglie i pulsanti {what}.")(command)
        return cta_option(command)

    return add


def typed_buttons(values: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(label, action, English label) per `--cta`; a value without «=» is a usage error."""
    try:
        return tuple(cta.split_option(value, n) for n, value in enumerate(values, start=1))
    except cta.CtaError as exc:
        raise click.BadParameter(exc.message, param_hint="--cta") from exc


def checked_buttons(values: tuple[str, ...]) -> cta.Buttons:
    """The buttons of `--cta`, checked; a wrong one is a usage error, in Italian."""
    try:
        return cta.check_buttons(typed_buttons(values))
    except cta.CtaError as exc:
        raise click.BadParameter(exc.message, param_hint="--cta") from exc
