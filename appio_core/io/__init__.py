"""App IO: the client, its typed errors and values, the rate limiter, the HTTP stack and
the simulator.

May import: errors, config, italian, domain, storage, content, recipient_file. It uses
only the first four: it knows nothing of the database or of operators, callers hand it
keys and limits.
"""
