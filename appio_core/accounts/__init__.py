"""Operators, services and their keys (sealed at rest), who may do what, reaching IO on a
service's behalf («Verifica connessione»).

May import: errors, config, italian, domain, storage, audit, content, recipient_file, io.
"""
