"""`--template NAME[@VERSION]` on the commands that send: what a template gives a message."""

from __future__ import annotations

from typing import Any

import click

from appio_core.cli.common import Context
from appio_core.domain import FeatureLevel
from appio_core.templates.use import TemplateRef, TemplateUse

TEMPLATE_OPTION = click.option(
    "--template",
    metavar="NOME[@VERSIONE]",
    help="Un modello salvato: oggetto, testo e livello del messaggio, se non indicati; i suoi"
    " {{segnaposto}} vanno sostituiti con i valori del destinatario.",
)


def message_from_template(
    ctx: Context, reference: str | None, subject: str | None, text: str | None, advanced: bool
) -> tuple[TemplateRef | None, str, str | None, bool]:
    """(template, subject, text, advanced) of one message: what is given wins, the template
    fills the rest. `text` "" means given in a file."""
    # Here: reading templates parses them (pyarrow), which `notification show` never needs.
    from appio_core.templates.queries import get_template

    ref = None
    if reference is not None:
        with ctx.transaction() as session:
            used = get_template(session, ctx.actor, reference)
        ref = used.ref
        subject = subject or used.fields.subject_template
        text = used.fields.text_template if text is None else text
        advanced = advanced or used.fields.feature_level == FeatureLevel.ADVANCED
    if subject is None:
        raise click.UsageError("Indica l'oggetto con --subject (oppure un modello con --template).")
    return ref, subject, text, advanced


def template_keys(used: TemplateUse | None) -> dict[str, Any]:
    """The JSON keys of the template a flow or a message was made from (null without)."""
    return {
        "template": used.name if used else None,
        "template_version": used.version if used else None,
    }
