"""The application as uvicorn loads it in each process (`appio api`)."""

from __future__ import annotations

from fastapi import FastAPI

from appio_core.api.app import create_app
from appio_core.config import load_settings


def app() -> FastAPI:
    return create_app(load_settings())
