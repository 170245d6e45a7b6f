"""Sending: the dispatcher, split into its steps, and the worker that runs it.

- dispatcher: the loop over the accounts and the design (crash safety) in its docstring;
- leases: one worker per IO account; store: every SQL statement of sending;
- chunk: checking and sending a chunk of claimed rows; outcomes: IO's answer -> the row;
- status_reads: reading IO's status of sent messages; config: the worker's settings;
- worker: `appio worker`, `flow send --wait` and the Streamlit thread.

May import every lower layer: errors, config, italian, domain, storage, content,
recipient_file, io, accounts, flows, notifications (not exports, its sibling).
"""
