"""The validation report of a recipient file: what the operator must fix, row by row.

Issues are kept as one table (a DataFrame), not a million small objects: a file where every
row is wrong must still fit in memory. Lists of dataclasses are built when asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO

import pandas as pd

ISSUE_COLUMNS = ("row", "column", "value", "code", "message")
_JSON_BATCH = 10_000
VALUE_SHOWN = 120  # characters of a value repeated in the report; a text can be 10,000 long

# Summary wording per code: (one, many). Codes of one field share a phrase, since the
# operator fixes the field, whatever the exact fault.
_KINDS: dict[str, tuple[str, str]] = {
    "cf": ("codice fiscale da correggere", "codici fiscali da correggere"),
    "cf_luogo_nascita": (
        "codice fiscale con luogo di nascita sconosciuto",
        "codici fiscali con luogo di nascita sconosciuto",
    ),
    "cf_ripetuto": ("codice fiscale ripetuto", "codici fiscali ripetuti"),
    "oggetto_mancante": ("oggetto mancante", "oggetti mancanti"),
    "oggetto_corto": ("oggetto troppo corto", "oggetti troppo corti"),
    "oggetto_lungo": ("oggetto troppo lungo", "oggetti troppo lunghi"),
    "testo_mancante": ("testo mancante", "testi mancanti"),
    "testo_corto": ("testo troppo corto", "testi troppo corti"),
    "testo_lungo": ("testo troppo lungo", "testi troppo lunghi"),
    "segnaposto_vuoto": ("valore mancante per il modello", "valori mancanti per il modello"),
    "importo": ("importo da correggere", "importi da correggere"),
    "avviso": ("numero avviso da correggere", "numeri avviso da correggere"),
    "pagamento_incompleto": ("pagamento incompleto", "pagamenti incompleti"),
    "scadenza_non_valida": ("data di scadenza da correggere", "date di scadenza da correggere"),
    "scadenza_passata": ("scadenza già passata", "scadenze già passate"),
    "valore_si_no_non_valido": ("valore sì/no da correggere", "valori sì/no da correggere"),
    "data_invio_non_valida": ("data di invio da correggere", "date di invio da correggere"),
    "invio_dopo_scadenza": ("invio dopo la scadenza", "invii dopo la scadenza"),
    "testo_con_segnaposto": (
        "testo con segnaposto non sostituiti",
        "testi con segnaposto non sostituiti",
    ),
    "valore_formattato": (
        "valore con collegamenti o formattazione",
        "valori con collegamenti o formattazione",
    ),
}


def _kind(code: str) -> str:
    if code in _KINDS:
        return code
    for prefix in ("cf", "importo", "avviso"):
        if code.startswith(prefix):
            return prefix
    return code


def italian_number(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def italian_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]


@dataclass(frozen=True)
class FileError:
    code: str
    message: str


@dataclass(frozen=True)
class RowIssue:
    """An error or a warning about one cell; `rows` lists every row a duplicate involves."""

    row: int
    column: str
    value: str
    code: str
    message: str
    rows: tuple[int, ...] = ()


def issues_frame(records: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in records if len(frame)]
    if not frames:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in ISSUE_COLUMNS})
    frame = pd.concat(frames, ignore_index=True)
    # Stable on row alone: within a row, issues keep the order of the checks (code, texts, payment).
    return frame.sort_values("row", kind="stable", ignore_index=True)


@dataclass(frozen=True)
class ValidationReport:
    filename: str
    rows: int = 0
    file_errors: list[FileError] = field(default_factory=list)
    # Problems of a subject or text template itself (a constant subject too short, a text
    # whose fixed part is already too long): said once, not on every row.
    template_errors: list[FileError] = field(default_factory=list)
    error_frame: pd.DataFrame = field(default_factory=lambda: issues_frame([]))
    warning_frame: pd.DataFrame = field(default_factory=lambda: issues_frame([]))
    # Rows of each repeated fiscal code, keyed by the row its warning sits on.
    duplicate_rows: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Each column of the file with the meaning it was read with (columns.ROLE_LABELS), so
    # that the operator can see and change it; empty when the file could not be read.
    columns: list[tuple[str, str]] = field(default_factory=list)
    # What the flow makes of each column, in words (readings.py), in the order of `columns`.
    readings: list[str] = field(default_factory=list)
    # The spreadsheet row of the header (not 1 when a title sits above it).
    header_row: int = 1
    # About the whole file, not blocking: a payment flow without payment columns.
    file_warnings: list[FileError] = field(default_factory=list)
    # What the operator should know: where the header was found, the rows' send dates.
    notes: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.file_errors

    @property
    def error_rows(self) -> int:
        return int(self.error_frame["row"].nunique())

    @property
    def valid_rows(self) -> int:
        # A template's problem stops every row: none could be sent as it is.
        return 0 if self.file_errors or self.template_errors else self.rows - self.error_rows

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors or self.template_errors) or len(self.error_frame) > 0

    @property
    def errors(self) -> list[RowIssue]:
        return self._issues(self.error_frame)

    @property
    def warnings(self) -> list[RowIssue]:
        return self._issues(self.warning_frame)

    def _issues(self, frame: pd.DataFrame, limit: int | None = None) -> list[RowIssue]:
        frame = frame if limit is None else frame.iloc[:limit]
        # Plain numpy columns: reading pandas cells one at a time is slow on a million issues.
        columns = [frame[name].to_numpy(dtype=object) for name in ISSUE_COLUMNS]
        return [
            RowIssue(
                row=int(row),
                column=str(column),
                value=_shown(value),
                code=str(code),
                message=str(message),
                rows=self.duplicate_rows.get(int(row), ()) if code == "cf_ripetuto" else (),
            )
            for row, column, value, code, message in zip(*columns, strict=True)
        ]

    def first_errors(self, limit: int) -> list[RowIssue]:
        return self._issues(self.error_frame, limit)

    def first_warnings(self, limit: int) -> list[RowIssue]:
        return self._issues(self.warning_frame, limit)

    def counts(self, frame: pd.DataFrame) -> list[tuple[str, int]]:
        """(Italian phrase, count) per kind of issue, most frequent first."""
        if not len(frame):
            return []
        kinds = frame["code"].map(_kind).value_counts(sort=False)
        ordered = sorted(kinds.items(), key=lambda item: (-item[1], list(_KINDS).index(item[0])))
        return [
            (_KINDS[kind][0] if count == 1 else _KINDS[kind][1], int(count))
            for kind, count in ordered
        ]

    def summary(self) -> str:
        """One or two Italian sentences for the operator."""
        if self.file_errors:
            return "Il file non è utilizzabile: " + " ".join(e.message for e in self.file_errors)
        rows = italian_number(self.rows)
        if self.template_errors:
            text = " ".join(e.message for e in self.template_errors) + " "
            return text + self._rows_summary(rows)
        return self._rows_summary(rows)

    def _rows_summary(self, rows: str) -> str:
        if self.template_errors:
            plural = self.rows != 1
            if self.error_rows:
                parts = [
                    f"{italian_number(n)} {phrase}" for phrase, n in self.counts(self.error_frame)
                ]
                text = (
                    f"Nel file, {rows} {'righe' if plural else 'riga'}:"
                    f" {italian_number(self.error_rows)} con errori ({', '.join(parts)})."
                )
            else:
                text = f"Le righe del file ({rows}) non hanno altri errori."
        elif self.error_rows:
            parts = [f"{italian_number(n)} {phrase}" for phrase, n in self.counts(self.error_frame)]
            valid = (
                "1 corretta"
                if self.valid_rows == 1
                else f"{italian_number(self.valid_rows)} corrette"
            )
            text = (
                f"{rows} {'riga' if self.rows == 1 else 'righe'}: {valid},"
                f" {italian_number(self.error_rows)} con errori ({', '.join(parts)})."
            )
        else:
            text = f"{rows} righe, tutte corrette." if self.rows != 1 else "1 riga, corretta."
        if len(self.warning_frame):
            parts = [
                f"{italian_number(n)} {phrase}" for phrase, n in self.counts(self.warning_frame)
            ]
            text += f" Avvisi: {', '.join(parts)}."
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._head(),
            "errors": [_issue_dict(item) for item in self.errors],
            "warnings": [_issue_dict(item) for item in self.warnings],
        }

    def kept(self, warnings: int) -> str:
        """The report as JSON with only its first `warnings` warnings (and their total):
        what a flow keeps of its file's check, for whoever approves it. A file with errors
        is never imported, so its errors are not kept."""
        data = {
            **self._head(),
            "warnings": [_issue_dict(item) for item in self.first_warnings(warnings)],
            "warnings_total": len(self.warning_frame),
        }
        return json.dumps(data, ensure_ascii=False)

    def write_json(self, out: TextIO) -> None:
        """`to_dict()` as JSON, written issue by issue: a file with a million wrong rows must
        not need the whole document in memory at once."""
        head = json.dumps(self._head(), ensure_ascii=False, indent=2)
        out.write(head[:-2])  # without the closing "\n}"
        for name, frame in (("errors", self.error_frame), ("warnings", self.warning_frame)):
            out.write(f',\n  "{name}": [')
            for start in range(0, len(frame), _JSON_BATCH):
                batch = frame.iloc[start : start + _JSON_BATCH]
                for i, line in enumerate(self._json_lines(batch)):
                    out.write(f"{'' if start + i == 0 else ','}\n    {line}")
            out.write("\n  ]" if len(frame) else "]")
        out.write("\n}\n")

    def _json_lines(self, frame: pd.DataFrame) -> list[str]:
        if (frame["code"] == "cf_ripetuto").any():  # these carry their list of rows
            return [json.dumps(_issue_dict(i), ensure_ascii=False) for i in self._issues(frame)]
        # pandas' JSON writer is C: twice as fast as json.dumps on a million issues.
        rows = frame[list(ISSUE_COLUMNS)].to_json(orient="records", lines=True, force_ascii=False)
        # Raw line breaks only end records (those inside values are escaped); splitlines()
        # would also cut at U+2028 and friends, which JSON leaves as they are.
        return rows.rstrip("\n").split("\n")

    def _head(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "usable": self.usable,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "error_rows": self.error_rows,
            "summary": self.summary(),
            "file_errors": [{"code": e.code, "message": e.message} for e in self.file_errors],
            "template_errors": [
                {"code": e.code, "message": e.message} for e in self.template_errors
            ],
            "file_warnings": [{"code": e.code, "message": e.message} for e in self.file_warnings],
            "header_row": self.header_row,
            "columns": [
                {"column": header, "role": role, "reading": reading}
                for (header, role), reading in zip(self.columns, self._readings(), strict=True)
            ],
            "notes": self.notes,
        }

    def _readings(self) -> list[str]:
        return (
            self.readings if len(self.readings) == len(self.columns) else [""] * len(self.columns)
        )

    def column_lines(self) -> list[str]:
        """«amount: importo pagoPA in centesimi, come in IO (12050 = € 120,50)», per column."""
        return [
            f"{header}: {reading}" if reading else header
            for (header, _), reading in zip(self.columns, self._readings(), strict=True)
        ]


def _issue_dict(item: RowIssue) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "row": item.row,
        "column": item.column,
        "value": item.value,
        "code": item.code,
        "message": item.message,
    }
    if item.rows:
        shown["rows"] = list(item.rows)
    return shown


def _shown(value: Any) -> str:
    text = "" if value is None or value != value else str(value)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"
