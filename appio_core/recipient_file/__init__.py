"""A flow's recipient file: reading it safely, finding its columns, checking every row, the report.

Entry points (validation.py): `validate_file` for a report, `open_recipient_file` for the
report and then the recipients, from one pass. The file is read in a sandboxed child
(sandbox.py: a fork server, setrlimit, timeouts), which runs processing.py: guards.py and
xlsx_guards.py bound the file before it is expanded, reader.py parses it into a Sheet,
layout.py checks columns and templates, checks.py every row, recipients.py builds the
database rows, report.py words it all in Italian; wire.py carries the answers back as data
(JSON and Arrow IPC), never as pickles. options.py holds what callers choose.

May import appio_core.content and appio_core.errors, nothing above (flows, storage, UI).
"""
