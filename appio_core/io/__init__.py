"""App IO: the client, its typed errors and values, the rate limiter, the account's shared
budget (budget.py, budget_store.py, budget_pacing.py), the HTTP stack, the client of IO's
management API with the ente's manage key (manage.py), and the simulator.

May import: errors, config, italian, domain, storage, content, recipient_file. Only the
shared budget touches storage (its one table, `account_budgets`, in budget_store.py): the
rest knows nothing of the database or of operators, callers hand it keys and limits.
"""
