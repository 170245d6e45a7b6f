"""Operators, services and their keys, who may do what."""
