"""The audit log: who did what, on what, when, from where, and how it ended.

Append-only rows (the database refuses UPDATE and DELETE on them), written by the core
functions themselves through `record` and `recording`, never by the pages: a login (ok or
failed) and a logout, every change to operators, services, keys and enablements, every
flow action, every single send, every export (with its filter and row count), every purge
of personal data, every read of a citizen's data (a notification's detail, a search by
codice fiscale, a profile check on IO). An entry never holds a key, a password or a
message's text; the codice fiscale an entry is about is in a column of its own, which the
purge turns into the citizen's pseudonym after the retention period (personal.py).

Low in the layers, so that accounts, flows, notifications and exports can record into it.
May import: errors, config, italian, domain, paging, storage.
"""

from appio_core.audit.actions import AuditAction, AuditOutcome, action_label
from appio_core.audit.recorder import Entry, Named, Who, record, record_refusal, recording

__all__ = [
    "AuditAction",
    "AuditOutcome",
    "Entry",
    "Named",
    "Who",
    "action_label",
    "record",
    "record_refusal",
    "recording",
]
