"""App IO: the client, its typed errors and values, the rate limiter, the HTTP stack, the
client of IO's management API with the ente's manage key (manage.py), and the simulator.

May import: errors, config, italian, domain, storage, content, recipient_file. It uses
only the first four: it knows nothing of the database or of operators, callers hand it
keys and limits.
"""
