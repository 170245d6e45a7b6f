"""The base of every request body: unknown fields refused, and no NUL character anywhere
(PostgreSQL's text cannot hold one: it would end in a 500, not in a clear refusal)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

NUL = "\x00"
NUL_REFUSED = "contiene il carattere NUL (\\u0000), non ammesso: toglilo"


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError(NUL_REFUSED)
        return data
