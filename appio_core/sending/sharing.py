"""The fair share of the IO accounts between the workers alive.

One worker per account at a time (the lease, see dispatcher.py); with several workers,
each should hold about as many accounts as the others, not the first one all of them.
Each worker decides alone, from two facts every worker reads: the accounts with work now
and the number of workers alive (heartbeat.py). Its share is the accounts divided by the
workers, rounded up; above it, it gives accounts up (at the end of the chunk under way),
below it, it takes free or expired leases. Rounding up leaves room for every account:
some worker is always below its share while an account has no holder.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SharePlan:
    share: int  # accounts this worker should hold
    keep: list[int]  # held, within the share: go on (leases renewed)
    give_up: list[int]  # held, beyond the share or without work now
    candidates: list[int]  # not held, to try in this order while below the share


def fair_share(accounts: int, workers: int) -> int:
    return -(-accounts // max(1, workers))


def plan_share(with_work: Sequence[int], held: Collection[int], workers: int) -> SharePlan:
    """What this worker should do with the accounts: keep the lowest ids it holds up to
    its share (a stable choice, so that two rounds do not give up different ones)."""
    share = fair_share(len(with_work), workers)
    work = sorted(set(with_work))
    mine = [account for account in work if account in held]
    keep, extra = mine[:share], mine[share:]
    idle = sorted(set(held) - set(work))
    candidates = [a for a in work if a not in held] if len(keep) < share else []
    return SharePlan(share, keep, extra + idle, candidates)
