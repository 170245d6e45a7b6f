"""Bulk sending flows: states, import, the operators' actions, queries."""
