"""Row checks of a recipient file: every column at once, issues as small tables.

The column checks run on threads: they spend their time in pyarrow and numpy, which release
the GIL. Issues are built only for the rows that have one, and worded in Italian.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from appio_core.content import (
    fiscal_code,
    fiscal_code_columns,
    lengths,
    markdown,
)
from appio_core.content.cells import text_array
from appio_core.content.lengths import ContentRules
from appio_core.content.template import Template
from appio_core.recipient_file import field_checks
from appio_core.recipient_file.columns import (
    FISCAL_CODE,
    LABELS,
    MARKDOWN,
    SUBJECT,
    Layout,
)
from appio_core.recipient_file.issues import Checked, always, clipped, issue_frame, issues
from appio_core.recipient_file.options import FileOptions
from appio_core.recipient_file.report import italian_list, italian_number

EMPTY_PLACEHOLDER = "segnaposto_vuoto"
# A row's own subject or text holding {{...}}: placeholders work only in the flow's templates.
OWN_TEXT_PLACEHOLDER = "testo_con_segnaposto"
FORMATTED_VALUE = "valore_formattato"
DUPLICATE_FISCAL_CODE = "cf_ripetuto"

_WORKERS = min(4, os.cpu_count() or 1)
_ROWS_NAMED = 50  # rows listed in a duplicate's message; the JSON lists them all


def check_rows(
    layout: Layout, data: pd.DataFrame, rows: np.ndarray, options: FileOptions
) -> Checked:
    fields = layout.fields
    # The column checks are independent and spend their time in pyarrow and numpy, which
    # release the GIL: on threads they overlap.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        codes_job = pool.submit(_check_codes, data[fields[FISCAL_CODE]])
        texts_job = pool.submit(_text_issues, layout, data, rows, options.rules)
        field_jobs = field_checks.submit(pool, layout, data, options)
        codes, repeated = codes_job.result()
        text_issues = texts_job.result()
        checked = Checked(
            fiscal_codes=codes.values,
            good_code=codes.errors.isna().to_numpy(),
            repeated=repeated,
        )
        header = layout.header(fields[FISCAL_CODE])
        checked.errors.append(issues(rows, header, codes.values, codes.errors, fiscal_code.message))
        checked.warnings.append(
            issues(rows, header, codes.values, codes.warnings, fiscal_code.message)
        )
        errors, warnings = text_issues
        checked.errors.extend(errors)
        checked.warnings.extend(warnings)
        field_checks.record(field_jobs, layout, data, rows, options, checked)
    return checked


def _text_issues(
    layout: Layout, data: pd.DataFrame, rows: np.ndarray, rules: ContentRules
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """(errors, warnings) about subjects and texts: empty values the templates use, lengths,
    and values that would have been Markdown in the text."""
    # A column may feed both templates: turn each into text once.
    positions = set(layout.placeholder_columns(layout.subject))
    positions |= set(layout.placeholder_columns(layout.text))
    for template, field_name in ((layout.subject, SUBJECT), (layout.text, MARKDOWN)):
        if template is None:
            positions.add(layout.fields[field_name])
    texts = {position: text_array(data[position]) for position in positions}
    # The text is Markdown: the values put into it are escaped, and measured as escaped.
    escaped = {position: markdown.escape(texts[position]) for position in _text_columns(layout)}
    found = _empty_placeholders(layout, texts, data, rows)
    for template, is_subject in ((layout.subject, True), (layout.text, False)):
        if (SUBJECT if is_subject else MARKDOWN) in layout.length_decided:
            continue  # the template alone decides: said once, in the report's template errors
        values = texts if is_subject else {**texts, **escaped}
        found.append(_length_issues(layout, values, data, rows, template, is_subject, rules))
    warnings = [_formatted_values(layout, texts, data, rows, position) for position in escaped]
    warnings += [
        _own_placeholders(layout, texts[layout.fields[name]], data, rows, layout.fields[name])
        for template, name in ((layout.subject, SUBJECT), (layout.text, MARKDOWN))
        if template is None
    ]
    return found, warnings


def _own_placeholders(
    layout: Layout, text: pa.Array, data: pd.DataFrame, rows: np.ndarray, position: int
) -> pd.DataFrame:
    """Files made for PagoPA's old portal may carry {{name}} in each row's text: it would
    reach the citizen as written."""
    marked = pc.match_substring(text, "{{").to_numpy(zero_copy_only=False)
    if not marked.any():
        return pd.DataFrame()
    codes = pd.Series(np.full(len(marked), None, dtype=object))
    codes[marked] = OWN_TEXT_PLACEHOLDER
    message = (
        "Il valore contiene {{…}}: i segnaposto sono sostituiti solo nei modelli del flusso,"
        " qui il cittadino li leggerebbe così come sono. Scrivi il valore per esteso, oppure"
        " usa un modello."
    )
    return issues(rows, layout.header(position), data[position], codes, always(message))


def _text_columns(layout: Layout) -> list[int]:
    return list(dict.fromkeys(layout.placeholder_columns(layout.text)))


def _formatted_values(
    layout: Layout, texts: dict[int, pa.Array], data: pd.DataFrame, rows: np.ndarray, position: int
) -> pd.DataFrame:
    formatted = markdown.looks_formatted(texts[position])
    if not formatted.any():
        return pd.DataFrame()
    codes = pd.Series(np.full(len(formatted), None, dtype=object))
    codes[formatted] = FORMATTED_VALUE
    message = (
        "Il valore contiene un indirizzo web, un collegamento, un'immagine, un titolo o codice"
        " HTML: nel testo del messaggio comparirà come testo semplice (la formattazione è"
        " disattivata), ma un indirizzo web può ancora essere mostrato come collegamento."
        " Controlla che sia il dato giusto."
    )
    return issues(rows, layout.header(position), data[position], codes, always(message))


def _empty_placeholders(
    layout: Layout, texts: dict[int, pa.Array], data: pd.DataFrame, rows: np.ndarray
) -> list[pd.DataFrame]:
    used: dict[int, list[str]] = {}
    for template, where in ((layout.subject, "nell'oggetto"), (layout.text, "nel testo")):
        for position in layout.placeholder_columns(template):
            if where not in used.setdefault(position, []):
                used[position].append(where)
    found = []
    for position, places in used.items():
        empty = pc.equal(texts[position], "").to_numpy(zero_copy_only=False)
        if not empty.any():
            # What issues() returns for no issue, without a million-row column of codes.
            found.append(pd.DataFrame())
            continue
        codes = pd.Series(np.full(len(empty), None, dtype=object))
        codes[empty] = EMPTY_PLACEHOLDER
        header = layout.header(position)
        message = (
            f"Manca il valore di «{header}», usato {' e '.join(places)} del messaggio: compilalo."
        )
        found.append(issues(rows, header, data[position], codes, always(message)))
    return found


def _length_issues(
    layout: Layout,
    texts: dict[int, pa.Array],
    data: pd.DataFrame,
    rows: np.ndarray,
    template: Template | None,
    is_subject: bool,
    rules: ContentRules,
) -> pd.DataFrame:
    field_name = SUBJECT if is_subject else MARKDOWN
    if template is None:
        values = texts[layout.fields[field_name]]
        sizes = lengths.text_lengths(values)
        header = layout.header(layout.fields[field_name])
    else:
        placeholders = [texts[i] for i in layout.placeholder_columns(template)]
        sizes = template.lengths(placeholders, len(data))
        header = f"{LABELS[field_name]} (dal modello)"
    codes = lengths.length_codes(sizes, *rules.bounds(subject=is_subject), subject=is_subject)
    wrong = np.flatnonzero(pd.notna(codes))
    if not len(wrong):
        return pd.DataFrame()
    # Only the rows in error are rendered, to show the operator what came out.
    shown = clipped(render(layout, data.iloc[wrong], template, field_name))
    messages = [
        lengths.length_message(c, int(n), rules)
        for c, n in zip(codes[wrong], sizes[wrong], strict=True)
    ]
    return issue_frame(rows[wrong], header, shown, codes[wrong], messages)


def render(
    layout: Layout, data: pd.DataFrame, template: Template | None, field_name: str
) -> pa.Array:
    if template is None:
        return text_array(data[layout.fields[field_name]])
    placeholders = [text_array(data[i]) for i in layout.placeholder_columns(template)]
    if field_name == MARKDOWN:
        placeholders = [markdown.escape(values) for values in placeholders]
    return template.render(placeholders, len(data))


def duplicates(layout: Layout, checked: Checked) -> list[pd.DataFrame]:
    assert checked.fiscal_codes is not None and checked.good_code is not None
    assert checked.repeated is not None
    rows = layout.sheet.rows[checked.good_code]
    codes = checked.fiscal_codes[checked.good_code].reset_index(drop=True)
    repeated = checked.repeated
    if not repeated.any():
        return []
    frame = pd.DataFrame({"code": codes[repeated].to_numpy(), "row": rows[repeated]})
    header = layout.header(layout.fields[FISCAL_CODE])
    firsts: list[int] = []
    values: list[str] = []
    messages: list[str] = []
    for code, group in frame.groupby("code", sort=False)["row"]:
        involved = tuple(int(r) for r in sorted(group))
        checked.duplicate_rows[involved[0]] = involved
        named = [str(r) for r in involved[:_ROWS_NAMED]]
        if len(involved) > _ROWS_NAMED:
            named.append(f"altre {italian_number(len(involved) - _ROWS_NAMED)}")
        firsts.append(involved[0])
        values.append(str(code))
        messages.append(
            f"Il codice fiscale compare {len(involved)} volte, nelle righe"
            f" {italian_list(named)}: il cittadino riceverebbe più messaggi. Lascia una"
            " riga sola, se non è voluto."
        )
    codes = [DUPLICATE_FISCAL_CODE] * len(firsts)
    return [issue_frame(np.array(firsts, dtype=np.int64), header, values, codes, messages)]


def _check_codes(column: pd.Series) -> tuple[fiscal_code_columns.ColumnCheck, np.ndarray]:
    """The fiscal code check and, on the same thread, which good codes repeat."""
    codes = fiscal_code_columns.check_column(column)
    good = codes.errors.isna().to_numpy()
    # Without a copy of the column when every code is good, the usual case.
    values = codes.values if good.all() else codes.values[good].reset_index(drop=True)
    return codes, _repeated(values)


def _repeated(codes: pd.Series) -> np.ndarray:
    """Which codes occur more than once.

    Codes that passed the check are 16 ASCII bytes; one 64-bit hash of them dedupes several
    times faster than strings do. The few codes whose hash repeats are then compared exactly.
    """
    if not len(codes):
        return np.zeros(0, dtype=bool)
    words = fiscal_code_columns.byte_matrix(codes).view("<u8")
    hashes = words[:, 0] * np.uint64(0x9E3779B97F4A7C15)
    hashes ^= words[:, 1]
    # The hashes that occur twice, from a sorted copy: several times faster than a hash
    # table of a million keys, and a third of its memory.
    ordered = np.sort(hashes)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    repeated = np.zeros(len(codes), dtype=bool)
    if len(twice):
        candidates = pd.Series(hashes).isin(np.unique(twice)).to_numpy()
        repeated[candidates] = codes[candidates].duplicated(keep=False).to_numpy()
    return repeated
