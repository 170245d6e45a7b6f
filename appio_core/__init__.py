"""IO Flussi core: rules, persistence, the App IO client and the dispatcher.

This package never imports Streamlit (tests/test_layering.py keeps that true):
the pages call it, never the reverse.
"""
