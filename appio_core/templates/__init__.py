"""Saved message templates («Modelli»): a service's named subject and text with
`{{colonna}}` placeholders, kept in versions (every edit is a new one, the old ones stay
readable with their author, date and differences). Flows and single messages record the
template and version they used.

The flows' layer, beside flows/ (a flow records the template it used; a template can be
saved from a flow). May import: errors, config, italian, domain, storage, audit, content,
recipient_file, io, accounts, flows (its fields and access only: nothing of flows/ may
import a module of templates/ that imports flows/ back).
"""
