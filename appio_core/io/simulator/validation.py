"""The checks IO makes on a request body, with IO's own titles and io-ts style details.

Titles follow the live server (see ../shared/io-api/README.md): a malformed body is
"Invalid message structure"; a wrong or missing fiscal code is "Bad parameters"; an
amount above the service's maximum is "Error while sending payment metadata".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from appio_core.domain import FeatureLevel
from appio_core.io.models import IO_MAX_AMOUNT

FISCAL_CODE_RE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
NOTICE_NUMBER_RE = re.compile(r"^[0123][0-9]{17}$")
ORGANIZATION_FISCAL_CODE_RE = re.compile(r"^[0-9]{11}$")

INVALID_STRUCTURE = "Invalid message structure"
BAD_PARAMETERS = "Bad parameters"
PAYMENT_METADATA = "Error while sending payment metadata"


class Invalid(Exception):
    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


def _fail(value: Any, at: str, expected: str, title: str = INVALID_STRUCTURE) -> Invalid:
    shown = repr(value) if not isinstance(value, str) or len(value) < 40 else f"'{value[:37]}...'"
    return Invalid(title, f"value {shown} at root.{at} is not a valid [{expected}]")


def fiscal_code(value: Any, at: str = "fiscal_code") -> str:
    if not isinstance(value, str) or not FISCAL_CODE_RE.fullmatch(value):
        raise _fail(value, at, "FiscalCode", BAD_PARAMETERS)
    return value


def _string(value: Any, at: str, low: int, high: int) -> str:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise _fail(value, at, f"string of length {low}..{high}")
    return value


def _integer(value: Any, at: str, low: int, high: int) -> int:
    # JSON true/false are not numbers, although Python's bool is an int.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(value, at, f"integer in {low}..{high}")
    return value


def _boolean(value: Any, at: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(value, at, "boolean")
    return value


def _timestamp(value: Any, at: str) -> str:
    if isinstance(value, str) and ("T" in value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return value
    raise _fail(value, at, "UTCISODateFromString")


def _object(value: Any, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(value, at, "object")
    return value


def profile_body(body: Any) -> str:
    return fiscal_code(_object(body, "payload").get("fiscal_code"))


def new_message(body: Any, path_fiscal_code: str | None, max_amount: int) -> dict[str, Any]:
    """The message as IO stores it; raises Invalid with IO's title and detail."""
    body = _object(body, "message")
    cf = path_fiscal_code or fiscal_code(body.get("fiscal_code"))
    if "time_to_live" in body:
        _integer(body["time_to_live"], "time_to_live", 3600, 604800)
    level = body.get("feature_level_type", FeatureLevel.STANDARD.value)
    if level not in {f.value for f in FeatureLevel}:
        raise _fail(level, "feature_level_type", "FeatureLevelType")
    content = _object(body.get("content"), "content")
    _string(content.get("subject"), "content.subject", 10, 120)
    _string(content.get("markdown"), "content.markdown", 80, 10_000)
    if "require_secure_channels" in content:
        _boolean(content["require_secure_channels"], "content.require_secure_channels")
    if "due_date" in content:
        _timestamp(content["due_date"], "content.due_date")
    payment = content.get("payment_data")
    if payment is not None:
        payment = _object(payment, "content.payment_data")
        amount = _integer(payment.get("amount"), "content.payment_data.amount", 1, IO_MAX_AMOUNT)
        notice = payment.get("notice_number")
        if not isinstance(notice, str) or not NOTICE_NUMBER_RE.fullmatch(notice):
            raise _fail(notice, "content.payment_data.notice_number", "PaymentNoticeNumber")
        if "invalid_after_due_date" in payment:
            _boolean(
                payment["invalid_after_due_date"], "content.payment_data.invalid_after_due_date"
            )
        payee = payment.get("payee")
        if payee is not None:
            payee_cf = _object(payee, "content.payment_data.payee").get("fiscal_code")
            if not isinstance(payee_cf, str) or not ORGANIZATION_FISCAL_CODE_RE.fullmatch(payee_cf):
                raise _fail(
                    payee_cf, "content.payment_data.payee.fiscal_code", "OrganizationFiscalCode"
                )
        if amount > max_amount:
            raise Invalid(
                PAYMENT_METADATA,
                f"The requested amount ({amount} cents) exceeds the maximum allowed for this"
                f" service ({max_amount} cents)",
            )
    # `default_addresses` is still in the spec but the server ignores it.
    return {
        "fiscal_code": cf,
        "feature_level_type": level,
        "content": content,
        **({"time_to_live": body["time_to_live"]} if "time_to_live" in body else {}),
    }
