"""Integrations: the comune's other systems calling IO Flussi's HTTP API (`appio api`).

An integration has a name, the services it may use, its scopes, a key (shown once, kept as
a SHA-256) and optionally a webhook URL with its signing secret (sealed like IO's keys).
It acts through the same core functions as an operator: `Actor.of_integration` makes it an
actor whose role is «operatore» on its services alone, and whom the audit log names.
"""
