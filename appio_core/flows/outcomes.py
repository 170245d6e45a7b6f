"""A flow's outcomes in words and groups: what «Invio incompleto» means for this flow, the
coloured breakdown of the flow's page, and, while sending, the pace and the time left.

«Invio incompleto» is the spec's state for a finished flow with any negative outcome, and
citizens without App IO are one: the state alone reads as a failure of the sending, so the
page says what it is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appio_core.domain import FINAL_OUTCOMES, FlowState, Outcome
from appio_core.flows.queries import FlowProgress
from appio_core.italian import thousands
from appio_core.storage.models import Notification, utcnow


class OutcomeGroup(StrEnum):
    """The groups the breakdown chart colours (the page picks the colours)."""

    REACHED = "Raggiunti"
    NOT_ON_IO = "Non usano IO"
    BLOCKED = "Servizio disattivato"
    ERROR = "Errori"
    UNCERTAIN = "Esito incerto"
    WAITING = "Da inviare"


GROUP_OF: dict[Outcome, OutcomeGroup] = {
    Outcome.ACCEPTED: OutcomeGroup.REACHED,
    Outcome.DELIVERED: OutcomeGroup.REACHED,
    Outcome.NOT_ON_IO: OutcomeGroup.NOT_ON_IO,
    Outcome.SERVICE_BLOCKED: OutcomeGroup.BLOCKED,
    Outcome.REJECTED: OutcomeGroup.ERROR,
    Outcome.ERROR: OutcomeGroup.ERROR,
    Outcome.UNCERTAIN: OutcomeGroup.UNCERTAIN,
    Outcome.PENDING: OutcomeGroup.WAITING,
    Outcome.SENDING: OutcomeGroup.WAITING,
}


def breakdown(progress: FlowProgress) -> list[tuple[OutcomeGroup, int]]:
    """Every group with its count, in the chart's order (empty groups included, at 0, so the
    legend always explains every colour)."""
    counts = dict.fromkeys(OutcomeGroup, 0)
    for outcome, count in progress.counts:
        counts[GROUP_OF[outcome]] += count
    return list(counts.items())


def _count(number: int, one: str, many: str) -> str:
    return f"{thousands(number)} {one if number == 1 else many}"


def outcome_sentence(progress: FlowProgress) -> str:
    """«Inviato a 812 cittadini su 1.000: 150 non usano IO, 38 hanno disattivato il servizio,
    0 errori» (the uncertain and the still to send added only when there are any)."""
    groups = dict(breakdown(progress))
    parts = [
        _count(groups[OutcomeGroup.NOT_ON_IO], "non usa IO", "non usano IO"),
        _count(
            groups[OutcomeGroup.BLOCKED],
            "ha disattivato il servizio",
            "hanno disattivato il servizio",
        ),
        _count(groups[OutcomeGroup.ERROR], "errore", "errori"),
    ]
    if groups[OutcomeGroup.UNCERTAIN]:
        parts.append(
            _count(groups[OutcomeGroup.UNCERTAIN], "con esito incerto", "con esito incerto")
        )
    if groups[OutcomeGroup.WAITING]:
        parts.append(_count(groups[OutcomeGroup.WAITING], "da inviare", "da inviare"))
    reached = _count(progress.reached, "cittadino", "cittadini")
    return f"Inviato a {reached} su {thousands(progress.total)}: {', '.join(parts)}."


def state_meaning(state: FlowState, progress: FlowProgress, retryable: int = 0) -> str | None:
    """What a finished flow's state means for this flow, or None while it is not finished."""
    sentence = outcome_sentence(progress)
    if state == FlowState.SENT:
        return f"Invio completato. {sentence}"
    if state != FlowState.INCOMPLETE:
        return None
    groups = dict(breakdown(progress))
    unreachable = groups[OutcomeGroup.NOT_ON_IO] + groups[OutcomeGroup.BLOCKED]
    lead = "«Invio incompleto»: l'invio è finito, ma non tutti i cittadini hanno il messaggio."
    advice: list[str] = []
    if unreachable:
        advice.append(
            "Chi non usa IO o ha disattivato il servizio non si può raggiungere con IO: non è un"
            " errore dell'invio; l'«Esporta Excel» li elenca, per avvisarli in altro modo."
        )
    if retryable:
        advice.append(
            f"{_count(retryable, 'errore è temporaneo', 'errori sono temporanei')}:"
            " «Reinvia falliti» li invia di nuovo."
        )
    if groups[OutcomeGroup.UNCERTAIN]:
        advice.append(
            "Per gli esiti incerti apri il destinatario e scegli se reinviare o segnare come"
            " inviato."
        )
    return " ".join([lead, sentence, *advice])


@dataclass(frozen=True)
class SendPace:
    per_minute: float  # recipients given a final outcome per minute, recently
    left: timedelta | None  # at that pace; None when nothing was done recently

    def describe(self) -> str:
        rate = f"{thousands(round(self.per_minute))} messaggi al minuto"
        if self.left is None:
            return f"{rate}; tempo rimanente non ancora stimabile."
        return f"{rate}; {remaining(self.left)}."


def remaining(left: timedelta) -> str:
    minutes = max(1, round(left.total_seconds() / 60))
    if minutes < 60:
        return "circa 1 minuto rimanente" if minutes == 1 else f"circa {minutes} minuti rimanenti"
    hours, rest = divmod(minutes, 60)
    hour_words = "1 ora" if hours == 1 else f"{thousands(hours)} ore"
    return f"circa {hour_words} e {rest} minuti rimanenti"


PACE_WINDOW = timedelta(minutes=2)


def send_pace(
    session: Session,
    flow_id: int,
    waiting: int,
    started_at: datetime | None,
    now: datetime | None = None,
) -> SendPace:
    """The pace over the last PACE_WINDOW (or since the flow started, when more recently),
    from the moments its rows got their final outcome; the time left for `waiting` rows."""
    now = now or utcnow()
    since = now - PACE_WINDOW
    if started_at is not None and started_at > since:
        since = started_at
    seconds = (now - since).total_seconds()
    done = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.flow_id == flow_id,
            Notification.outcome.in_(list(FINAL_OUTCOMES)),
            Notification.updated_at >= since,
        )
    )
    if not done or seconds <= 0:
        return SendPace(0.0, None)
    per_minute = done * 60 / seconds
    return SendPace(per_minute, timedelta(minutes=waiting / per_minute))
