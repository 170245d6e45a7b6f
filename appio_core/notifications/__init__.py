"""Notifications: every message sent, a flow's recipients and single messages alike.

The archive (search, paging, export), «Nuovo» (one message to one citizen, sent at once),
a message's detail, and the rules of IO's status of a message that the dispatcher and
«Aggiorna stato» share. May import: domain, storage, content, io, accounts, flows.
"""
