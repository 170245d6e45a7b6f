"""What the caller decides about reading a recipient file: templates, sheet, and the limits.

A module of its own so that the checks, the reader and the entry points can all take the
options without importing one another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from appio_core.content.lengths import ContentRules

MB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    """Bounds on a recipient file, checked before its data is expanded.

    The shape limits are what a real list of recipients never reaches; they keep a hostile
    or broken file from costing gigabytes. The process limits bound the child process that
    parses the file (appio_core.recipient_file.sandbox): if a file gets past the shape checks
    and still needs more, the child dies, not the app.
    """

    # A message can use a handful of columns; 200 leaves room for any export an operator has.
    max_columns: int = 200
    # pyarrow keeps a CSV cell in ~10 bytes plus its text: 20 million cells stay well under
    # the child's memory limit. calamine's grid and the Python objects made from it cost ~300
    # bytes a cell, hence the lower bound for Excel (a bigger list goes in as CSV).
    max_csv_cells: int = 20_000_000
    max_xlsx_cells: int = 2_000_000
    # Excel itself stores at most 32,767 characters in a cell.
    max_cell_chars: int = 32_767
    # A line holding 200 cells of a 10,000-character text is still under 4 MB.
    max_line_bytes: int = 4 * MB
    # An .xlsx is a zip: a few dozen entries, XML that compresses 5-30 times.
    max_zip_entries: int = 1_000
    max_xml_bytes: int = 400 * MB  # one entry, uncompressed
    max_zip_ratio: int = 200  # uncompressed / compressed, for entries over 1 MB
    # The child process that reads and checks the file. Address space, not resident memory,
    # is what the kernel can cap: the budget is added to what the child has mapped at start.
    memory_bytes: int = 1536 * MB
    cpu_seconds: int = 120
    # The longest wait for the child's next message (the parent may be slow to take chunks
    # while it writes them to the database: that wait does not count).
    wall_seconds: float = 120.0


@dataclass(frozen=True)
class FileOptions:
    subject_template: str | None = None
    text_template: str | None = None
    sheet: str | None = None  # the first sheet when None
    max_rows: int = 1_000_000
    # Streamlit's upload limit (server.maxUploadSize) is 200 MB as well.
    max_bytes: int = 200 * MB
    rules: ContentRules = field(default_factory=ContentRules)
    max_payment_amount: int | None = None  # euro cents; IO's own maximum when None
    now: dt.datetime | None = None  # the clock for "due date already passed"
    limits: FileLimits = field(default_factory=FileLimits)
    # The operator's meaning of some columns (header → a role of columns.ROLE_LABELS); the
    # others go by their names, the payment ones only when `payment_columns`.
    columns: dict[str, str] = field(default_factory=dict)
    payment_columns: bool = True
    # The flow is about a payment (its natura): a file without payment columns gets a
    # warning, and creating the flow asks for a confirmation.
    payment_expected: bool = False
