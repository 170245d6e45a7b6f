"""Sending: the dispatcher, split into its steps, and the worker that runs it.

- dispatcher: the loop over the accounts, and the design (crash safety) in its docstring;
- leases: one worker per IO account; claiming: the next batch of rows of a flow;
- chunk: checking and sending a batch chunk by chunk; outcomes: IO's answer -> the row's
  change (the mapping shared with single sends, notifications.io_answers); recording:
  storing the changes (and pausing a flow whose keys IO refused);
- status_reads: IO's status of sent messages; clients: the IO client of each account;
- store: the SQL statements of sending; change_writes: the rows' changes in bulk;
  monitoring_store: the heartbeats and request counts the workers record (heartbeat,
  housekeeping); config: the worker's settings;
- worker: `appio worker`, `flow send --wait` and the Streamlit thread.

May import every lower layer: errors, config, italian, domain, storage, audit, content,
recipient_file, io, accounts, flows, notifications (not exports, its sibling).
"""
