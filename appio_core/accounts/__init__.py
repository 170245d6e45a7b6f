"""Operators, services and their keys (sealed at rest), who may do what, reaching IO on a
service's behalf («Verifica connessione»); the ente's manage key of IO's management API,
with «Importa da IO» and «Rigenera chiavi»; reading the audit log (administrators only:
audit/ lies below, so that every layer records into it, and cannot ask a role).

May import: errors, config, italian, domain, storage, audit, content, recipient_file, io.
"""
