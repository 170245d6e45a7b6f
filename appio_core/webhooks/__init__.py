"""Webhooks: the events of an integration's messages and flows, posted to its URL.

A layer of its own, above notifications and below sending (whose workers deliver them):
it reads integrations (the URL and the sealed secret), audit and storage.

- The events are rows of `webhook_events`, written by database triggers in the same
  transaction as the change that caused them (triggers.py, migration 0025): no change is
  committed without its event, whichever code (web, CLI, worker, API) made it.
- Only the rows an integration created carry its id: its single messages and its flows.
  A flow's recipients do not; the flow's `flow.state_changed` tells the integrator when to
  read their outcomes (`GET /api/v1/flows/{id}/notifications`).
- The workers deliver them (delivery.py), signed by the Standard Webhooks specification,
  at least once: claimed with a lease, retried with a growing delay for 24 hours.
- The page reads the delivery log and re-sends a failed event (log.py).
"""
