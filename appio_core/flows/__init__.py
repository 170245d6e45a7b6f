"""Bulk sending flows: the operators' actions and their registry (labels, guards,
messages), import of the recipient file (importing; recipient_rows writes the rows in
bulk), editing while Inattivo (the rules of a flow's own fields in fields), queries and
views.

May import: errors, config, italian, domain, storage, audit, content, recipient_file,
io, accounts.
"""
