"""A template's message with example values in its placeholders, for the preview on
«Modelli»: the values are put in as a file's would be (escaped in the text)."""

from __future__ import annotations

import pyarrow as pa

from appio_core.content import markdown
from appio_core.content.template import Template, header_key

# Examples for the placeholders a comune's files usually have; any other shows its name.
_EXAMPLES = {
    "nome": "Maria",
    "cognome": "Rossi",
    "nominativo": "Maria Rossi",
    "importo": "123,45",
    "scadenza": "31/12/2026",
    "datascadenza": "31/12/2026",
    "anno": "2026",
    "indirizzo": "Via Roma 1",
    "codicefiscale": "RSSMRA85T10A562S",
    "numeroavviso": "302000100000009424",
}


def example_value(name: str) -> str:
    return _EXAMPLES.get(header_key(name), f"[{name}]")


def render_example(source: str, values: dict[str, str], *, is_subject: bool) -> str:
    """`source` with each placeholder replaced by its value in `values` (by name as
    written), else by its example."""
    template = Template.parse(source)
    columns = []
    for name in template.names:
        array = pa.array([values.get(name) or example_value(name)], type=pa.large_string())
        columns.append(array if is_subject else markdown.escape(array))
    rendered = template.render(columns, 1)
    return str(rendered[0].as_py())
