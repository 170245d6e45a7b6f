"""Notifications: every message sent, a flow's recipients and single messages alike.

The archive (search, paging, export), «Nuovo» (one message to one citizen, sent at once),
a message's detail, the rules of IO's status of a message that the dispatcher and
«Aggiorna stato» share, and the purge of personal data past their retention.
May import: domain, storage, audit, content, io, accounts, flows.
"""
