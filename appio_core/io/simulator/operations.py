"""IO's operations as the simulator answers them: the profile check, a new message, a
message's status. The order of the checks follows IO: the API validates the body (400)
and the recipient (403) before doing anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from appio_core.content import cta
from appio_core.domain import FeatureLevel
from appio_core.io.models import MessageStatusValue
from appio_core.io.simulator import validation
from appio_core.io.simulator.asgi import API_PREFIX, Answer, problem
from appio_core.io.simulator.config import SimService, SimulatorConfig
from appio_core.io.simulator.population import Kind, Population
from appio_core.io.simulator.record import Record, StoredMessage

# IO's 403 answers (PagoPA's io-functions-commons and services-func; appio_core.io.groups).
NOT_ALLOWED = (
    "You are not allowed here",
    "You do not have enough permission to complete the operation you requested",
)
PREMIUM_NOT_ALLOWED = (
    "You are not allowed here",
    "You do not have enough permissions to send a Premium message",
)
PAYEE_NOT_ALLOWED = (
    "You are not allowed here",
    "You do not have enough permissions to send a payment message with payee",
)
RECIPIENT_FORBIDDEN = (
    "Recipient forbidden",
    "You are not allowed to issue requests for the recipient.",
)


def _utc_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def buttons_of(content: dict[str, Any]) -> list[dict[str, str]] | None:
    """The buttons IO's app would show for this markdown (its Italian block), or None.

    IO's API does not check the front matter (a wrong one only hides the buttons in the
    app): neither does the simulator, which keeps what the app would read."""
    read = cta.read_front_matter(str(content.get("markdown", "")))
    return [b.to_json() for b in read.buttons] or None


def decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError as exc:
        raise validation.Invalid(
            validation.INVALID_STRUCTURE, "The body is not valid JSON"
        ) from exc


class Operations:
    """What IO does with a request that passed the gateway; keeps what it created."""

    def __init__(
        self,
        config: SimulatorConfig,
        record: Record,
        population: Population,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.record = record
        self.population = population
        self._clock = clock
        self._sequence = record.last_sequence  # the journal's, when it has one

    def _service(self, service_id: str) -> SimService:
        return next(s for s in self.config.services if s.service_id == service_id)

    def handle(
        self, operation: str, params: dict[str, str], service: SimService, body: bytes
    ) -> Answer:
        try:
            if operation in ("getProfileByPOST", "getProfile"):
                if not service.can_check_profiles:  # IO's auth middleware, before the body
                    return problem(403, *NOT_ALLOWED)
                if operation == "getProfile":
                    fiscal_code = validation.fiscal_code(params["fiscal_code"])
                else:
                    fiscal_code = validation.profile_body(decode(body))
                return self._profile(service, fiscal_code)
            if operation in ("submitMessageforUserWithFiscalCodeInBody", "submitMessageforUser"):
                if not service.can_send:  # IO's auth middleware, before the body
                    return problem(403, *NOT_ALLOWED)
                path_cf = params.get("fiscal_code")
                if path_cf is not None:
                    validation.fiscal_code(path_cf)
                message = validation.new_message(decode(body), path_cf, service.max_payment_amount)
                return self._submit(service, message)
            validation.fiscal_code(params["fiscal_code"])
            return self._status(service, params["fiscal_code"], params["id"])
        except validation.Invalid as exc:
            return problem(400, exc.title, exc.detail)

    def _profile(self, service: SimService, fiscal_code: str) -> Answer:
        if not service.may_reach(fiscal_code):
            return problem(403, *RECIPIENT_FORBIDDEN)
        citizen = self.population.citizen(fiscal_code)
        if not citizen.has_io:
            answer = problem(
                404, "Profile not found", "The profile you requested was not found in the system."
            )
        else:
            allowed = not self.population.blocked(fiscal_code, service.service_id)
            answer = Answer(
                200,
                {
                    "sender_allowed": allowed,
                    "preferred_languages": list(citizen.preferred_languages),
                },
            )
        answer.fiscal_code = fiscal_code
        return answer

    def _submit(self, service: SimService, message: dict[str, Any]) -> Answer:
        fiscal_code = message["fiscal_code"]
        # The body's own permissions (IO's middlewares), then the recipient (the handler).
        payee = message["content"].get("payment_data", {}).get("payee")
        if payee is not None and not service.payee:
            # Naming the payee needs a permission PagoPA grants to very few services.
            return problem(403, *PAYEE_NOT_ALLOWED)
        if message["feature_level_type"] == FeatureLevel.ADVANCED and not service.advanced:
            return problem(403, *PREMIUM_NOT_ALLOWED)
        if not service.may_reach(fiscal_code):
            return problem(403, *RECIPIENT_FORBIDDEN)
        message_id = str(ULID())
        self._sequence += 1
        kind = self.population.kind(fiscal_code, service.service_id)
        self.record.store(
            StoredMessage(
                id=message_id,
                service_id=service.service_id,
                fiscal_code=fiscal_code,
                created_at=_utc_now(),
                accepted_at=self._clock(),
                feature_level_type=message["feature_level_type"],
                content=message["content"],
                cta=buttons_of(message["content"]),
                time_to_live=message.get("time_to_live"),
                # IO accepts the message, then rejects it when the citizen has no IO or
                # blocked the service.
                sequence=self._sequence,
                final_status=(
                    MessageStatusValue.PROCESSED
                    if kind == Kind.WITH_IO
                    else MessageStatusValue.REJECTED
                ),
            )
        )
        location = f"{API_PREFIX}/messages/{fiscal_code}/{message_id}"
        return Answer(
            201,
            {"id": message_id},
            headers=[(b"location", location.encode())],
            fiscal_code=fiscal_code,
            message_id=message_id,
        )

    def _status(self, service: SimService, fiscal_code: str, message_id: str) -> Answer:
        stored = self.record.messages.get(message_id)
        if stored is None or stored.fiscal_code != fiscal_code:
            return problem(
                404, "Message not found", "The message you requested was not found in the system."
            )
        if stored.service_id != service.service_id:
            return problem(403, *NOT_ALLOWED)
        elapsed = self._clock() - stored.accepted_at
        delay = self.config.processing_delay
        status = stored.final_status if elapsed >= delay else MessageStatusValue.ACCEPTED
        settled = elapsed >= 2 * delay
        content = dict(stored.content)
        if "payment_data" in content:
            # IO fills in the payee with the sending organisation when it is left out.
            content["payment_data"] = {
                "payee": {"fiscal_code": self._service(stored.service_id).organization_fiscal_code},
                **content["payment_data"],
            }
        message: dict[str, Any] = {
            "id": stored.id,
            "fiscal_code": stored.fiscal_code,
            "created_at": stored.created_at,
            "content": content,
            "sender_service_id": stored.service_id,
            "feature_level_type": stored.feature_level_type,
        }
        if stored.time_to_live is not None:
            message["time_to_live"] = stored.time_to_live
        body: dict[str, Any] = {"message": message, "status": str(status)}
        processed = status == MessageStatusValue.PROCESSED
        if self.config.email_notifications and processed:
            citizen = self.population.citizen(fiscal_code)
            if citizen.email and not content.get("require_secure_channels"):
                body["notification"] = {"email": "SENT"}
        if stored.feature_level_type == FeatureLevel.ADVANCED:
            later = processed and settled
            draw = str(stored.sequence)
            if not processed:
                body["read_status"] = "UNAVAILABLE" if status != "ACCEPTED" else "UNREAD"
            else:
                read = later and self.population.unit(draw, "read") < self.config.read_share
                body["read_status"] = "READ" if read else "UNREAD"
            if "payment_data" in content:
                paid = later and self.population.unit(draw, "paid") < self.config.paid_share
                body["payment_status"] = "PAID" if paid else "NOT_PAID"
        return Answer(200, body, fiscal_code=fiscal_code, message_id=message_id)
