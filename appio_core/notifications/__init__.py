"""Notifications: every message sent, a flow's recipients and single messages alike.

The archive (search, paging, export), «Nuovo» (one message to one citizen, sent at once;
its request keys), a message's detail, the rules the dispatcher shares with them: what IO's
answers make of a row (io_answers), IO's status of a message (also «Aggiorna stato»), and
the purge of personal data past their retention.
May import: domain, storage, audit, content, io, accounts, flows.
"""
