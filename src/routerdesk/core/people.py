"""Per-person access tokens for a team server: who a token belongs to, and their daily budget.

A person token is ``rdp_`` + 32 random bytes (URL-safe base64). Only its SHA-256
is ever kept (`token_hash`); the clear token is shown once, at creation. The
single local access token stays the default for one person and is not a person:
requests made with it carry no person name.

`PersonSpend` keeps today's spend per person in memory, like `SpendTracker` does
for the whole router: seeded from the usage log, fed every recorded cost, and
(with several workers) re-seeded from the shared log every couple of seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import datetime

from routerdesk.core.budget import day_start, local_now, next_reset
from routerdesk.core.errors import BudgetExceeded
from routerdesk.core.types import Person

TOKEN_PREFIX = "rdp_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def find_token(
    by_hash: Mapping[str, tuple[Person, bool]], token: str
) -> tuple[Person, bool] | None:
    """(person, revoked) for a presented token, or None when it is nobody's: its hash is
    compared with every stored hash in constant time (a team has tens of people)."""
    want = token_hash(token).encode()
    found: tuple[Person, bool] | None = None
    for h, entry in by_hash.items():
        if hmac.compare_digest(h.encode(), want):
            found = entry
    return found


def check_name(name: str) -> str:
    """`name` if it is a usable person name; raises ValueError saying what is allowed."""
    if not NAME_RE.match(name):
        raise ValueError(
            f"invalid name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


class PersonSpend:
    """Today's spend per person (USD, local day); rolls over at local midnight."""

    def __init__(self) -> None:
        self._day: datetime | None = None
        self._today: dict[str, float] = {}

    def seed(self, today: dict[str, float], now: datetime | None = None) -> None:
        """Take totals read from the (possibly shared) usage log for today.

        Per person the larger of the log's figure and ours wins: our own costs
        may still sit in the writer's queue, other workers' are only in the log.
        """
        self._roll(now or local_now())
        for name, spent in today.items():
            self._today[name] = max(spent, self._today.get(name, 0.0))

    def add(self, name: str, cost: float, at: datetime | None = None) -> None:
        if cost <= 0 or not name:
            return
        self._roll(at or local_now())
        self._today[name] = self._today.get(name, 0.0) + cost

    def today(self, name: str, now: datetime | None = None) -> float:
        self._roll(now or local_now())
        return self._today.get(name, 0.0)

    def _roll(self, now: datetime) -> None:
        start = day_start(now)
        if self._day != start:
            self._day, self._today = start, {}


def check_person_budget(person: Person, spent: float, now: datetime | None = None) -> None:
    """Raise `BudgetExceeded` when `person` has used up their daily budget."""
    limit = person.budget_daily_usd
    if limit is None or (limit > 0 and spent < limit):
        return
    now = now or local_now()
    reset = next_reset("daily", now)
    raise BudgetExceeded(
        f"Daily budget for {person.name!r} reached: spent ${spent:.2f} of ${limit:.2f}. "
        f"It resets at midnight ({reset:%Y-%m-%d %H:%M} local time on the server). "
        f"Ask the server's admin to raise it: `routerdesk tokens budget {person.name} USD`."
    )
