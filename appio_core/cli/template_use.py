"""`--template NAME[@VERSION]` on the commands that send: what a template gives a message."""

from __future__ import annotations

from dataclasses import dataclass

import click

from appio_core.cli.common import Context
from appio_core.domain import FeatureLevel
from appio_core.templates.use import TemplateRef, template_keys

__all__ = ["FromTemplate", "message_from_template", "template_keys"]

TEMPLATE_OPTION = click.option(
    "--template",
    metavar="NOME[@VERSIONE]",
    help="Un modello salvato: oggetto, testo, livello, pulsanti e canale sicuro, se non"
    " indicati; i suoi"
    " {{segnaposto}} vanno sostituiti con i valori del destinatario.",
)


Typed = tuple[tuple[str, str, str], ...]  # (label, action, English label) per button


@dataclass(frozen=True)
class FromTemplate:
    """One message's fields after its template: what was given, the template's otherwise."""

    template: TemplateRef | None
    subject: str
    text: str | None  # "" means given in a file
    advanced: bool
    buttons: Typed
    secure_channel: bool


def message_from_template(
    ctx: Context,
    reference: str | None,
    subject: str | None,
    text: str | None,
    advanced: bool,
    buttons: Typed = (),
    secure_channel: bool = False,
) -> FromTemplate:
    """One message's fields: what is given wins, the template fills the rest (its buttons
    only when no `--cta` is given). `text` "" means given in a file."""
    # Here: reading templates parses them (pyarrow), which `notification show` never needs.
    from appio_core.templates.apply import message_extras
    from appio_core.templates.queries import get_template

    ref = None
    if reference is not None:
        with ctx.transaction() as session:
            used = get_template(session, ctx.actor, reference)
        ref = used.ref
        subject = subject or used.fields.subject_template
        text = used.fields.text_template if text is None else text
        advanced = advanced or used.fields.feature_level == FeatureLevel.ADVANCED
        if not buttons:
            template_buttons, _ = message_extras(used, (), secure_channel)
            buttons = tuple((b.label, b.action, b.label_en) for b in template_buttons)
        _, secure_channel = message_extras(used, (), secure_channel)
    if subject is None:
        raise click.UsageError("Indica l'oggetto con --subject (oppure un modello con --template).")
    return FromTemplate(ref, subject, text, advanced, buttons, secure_channel)
