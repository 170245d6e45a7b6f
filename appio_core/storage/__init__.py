"""The database: typed models, the engine and the transaction boundary, migrations.

May import: errors, config, italian, domain.
"""
