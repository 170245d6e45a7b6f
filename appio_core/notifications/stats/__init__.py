"""The «Cruscotto»'s figures: what the messages of a period reached, per service, natura or
flow, and the share of citizens reachable on IO.

The notifications table is too big to add up while an operator waits (2,000,000 rows and
more), so summaries are kept beside it by the database itself, in the same
transaction as every change of a row (triggers: models.py says which, sql.py writes them):
- `notification_counts`: per day (Italian time), service and flow, how many messages ended with
  each outcome, and how many ADVANCED ones were read and paid;
- `notification_reach`: per month (Italian time), service (and 0: any) and citizen, whether
  IO told us he has a profile with the service allowed; `notification_reach_months`: per
  month and service, how many distinct citizens that is.
Whoever changes a row (the dispatcher, a status read, «Reinvia», «Segna come inviato», a
single message, the purge) changes the summaries with it, whatever the code path.
`rebuild` recomputes them from the rows; a test proves it gives the same numbers.
"""
