"""The HTTP API for the comune's other systems (`appio api`, FastAPI, OpenAPI 3.1 at
/api/v1/openapi.json): the same core functions as the pages and the CLI, called by an
integration's key (appio_core.integrations) instead of a signed-in operator.

Above every package but the CLI: routes only translate HTTP to core calls and back.
"""
