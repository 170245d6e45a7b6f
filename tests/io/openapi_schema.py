"""Validators for IO's official OpenAPI (Swagger 2.0) definitions, with jsonschema.

The files are read from the copy in tests/io/openapi/ (the same as ../shared/io-api/).
Swagger 2.0 schemas are JSON Schema draft 4 plus a few extensions, converted here:
- `x-extensible-enum` becomes a strict `enum`: the simulator must only produce the
  values the spec lists (the client, on its side, tolerates new ones);
- `allOf` marked `x-one-of: true` (MessageStatusValue) means oneOf;
- the `format`s of PagoPA's TypeScript types (FiscalCode, UTCISODateFromString, ...)
  are checked with the patterns those types use.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, FormatChecker

OPENAPI_DIR = Path(__file__).parent / "openapi"
MESSAGES_SPEC = "io-messages.openapi.yaml"
SERVICES_SPEC = "io-functions-services.openapi.yaml"

FISCAL_CODE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

formats = FormatChecker()


@formats.checks("FiscalCode")
def _fiscal_code(value: object) -> bool:
    return not isinstance(value, str) or bool(FISCAL_CODE.fullmatch(value))


@formats.checks("OrganizationFiscalCode")
def _organization_fiscal_code(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[0-9]{11}", value))


@formats.checks("UTCISODateFromString")
def _utc_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


@formats.checks("Ulid")
def _ulid(value: object) -> bool:
    return not isinstance(value, str) or bool(ULID.fullmatch(value))


def _convert(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _convert(v) for k, v in node.items() if k not in ("example", "x-examples")}
        if "x-extensible-enum" in node:
            node["enum"] = node.pop("x-extensible-enum")
        if node.pop("x-one-of", False) and "allOf" in node:
            node["oneOf"] = node.pop("allOf")
        return node
    if isinstance(node, list):
        return [_convert(item) for item in node]
    return node


@cache
def spec(name: str) -> dict[str, Any]:
    return yaml.safe_load((OPENAPI_DIR / name).read_text())


@cache
def validator(spec_name: str, definition: str) -> Draft4Validator:
    definitions = _convert(copy.deepcopy(spec(spec_name)["definitions"]))
    schema = {"definitions": definitions, "$ref": f"#/definitions/{definition}"}
    return Draft4Validator(schema, format_checker=formats)


def errors(spec_name: str, definition: str, instance: Any) -> list[str]:
    """Every violation, as readable lines (empty when the instance conforms)."""
    found = validator(spec_name, definition).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def response_schema(spec_name: str, path: str, method: str, status: int) -> str | None:
    """The definition named for an answer, or None when the spec gives no schema."""
    operation = spec(spec_name)["paths"][path][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path} has no {status} answer in {spec_name}"
    ref = response.get("schema", {}).get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def operation_parameters(
    spec_name: str, path: str, method: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """The operation's parameters by (in, name), the spec's shared ones ($ref) resolved."""
    document = spec(spec_name)
    found = {}
    for parameter in document["paths"][path][method.lower()].get("parameters", []):
        if "$ref" in parameter:
            parameter = document["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        found[(parameter["in"], parameter["name"])] = parameter
    return found


def path_parameter_pattern(spec_name: str, name: str) -> str:
    return spec(spec_name)["parameters"][name]["pattern"]
