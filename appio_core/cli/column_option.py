"""`--column NOME=significato` of `appio flow validate|import|replace-file`."""

from __future__ import annotations

import click

COLUMN_HELP = (
    "Significato di una colonna, NOME=significato (ripetibile): codice fiscale, importo pagoPA,"
    " numero avviso pagoPA, scadenza, oggetto, testo o solo testo. Es. --column 'Importo=solo"
    " testo'."
)


def column_choices(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """`--column` values → (header, role) pairs, or a usage error in Italian."""
    from appio_core.recipient_file.columns import UnknownRole, parse_column_choice

    try:
        return tuple(parse_column_choice(value) for value in values)
    except UnknownRole as exc:
        raise click.BadParameter(str(exc)) from None
