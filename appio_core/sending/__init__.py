"""The dispatcher and the worker that runs it."""
