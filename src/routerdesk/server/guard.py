"""Who may talk to the server: the access token, the Host header, browser Origins.

A local HTTP server is reachable from every web page the user opens, so:
- every request except ``GET /health`` must carry the access token as its API
  key (``Authorization: Bearer <token>`` or ``x-api-key: <token>``), compared in
  constant time;
- the ``Host`` header must name a loopback address (127.0.0.1, localhost,
  [::1], any port), which defeats DNS rebinding; when the user deliberately
  binds a non-loopback address the bound name is accepted as well (a wildcard
  bind accepts any Host, and the token is still required);
- on a team server a person token (`routerdesk tokens create NAME`) is accepted
  as well; the request is then that person's (usage log, per-person budget);
- a request with an ``Origin`` header comes from a browser and is refused with
  403 unless that origin is in ``settings.server.allowed_origins``.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Protocol

from routerdesk.core.people import TOKEN_PREFIX
from routerdesk.core.types import Person

LOOPBACK_NAMES: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS: frozenset[str] = frozenset({"0.0.0.0", "::", ""})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; a name that merely starts with "127." is not."""
    h = host.strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a Host header: ``[::1]:8787`` -> ``::1``, ``localhost:8787`` -> ``localhost``."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else header
    name, _, _ = header.partition(":")
    return name


class PersonLookup(Protocol):
    """Where person tokens are checked (storage.people.PersonTokens)."""

    def find(self, token: str) -> tuple[Person, bool] | None:
        """(person, revoked) for a presented token, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request: `person` is None for the local access token."""

    person: Person | None = None
    revoked: bool = False  # a person token that was revoked: refuse, saying so


LOCAL_CALLER = Caller()


@dataclass(frozen=True, slots=True)
class Guard:
    token: str
    bound_host: str = "127.0.0.1"
    allowed_origins: frozenset[str] = frozenset()
    people: PersonLookup | None = None

    def host_ok(self, header: str | None) -> bool:
        if self.bound_host in WILDCARD_HOSTS:
            return True
        if not header:
            return False
        name = host_name(header)
        return is_loopback(name) or name == self.bound_host.strip("[]").lower()

    def origin_ok(self, origin: str | None) -> bool:
        return origin is None or origin.rstrip("/") in self.allowed_origins

    def token_ok(self, authorization: str | None, api_key: str | None) -> bool:
        """True when the bearer token or the x-api-key header holds the token."""
        want = self.token.encode()
        ok = False
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer":
                ok |= hmac.compare_digest(value.strip().encode(), want)
        if api_key:
            ok |= hmac.compare_digest(api_key.strip().encode(), want)
        return ok

    def caller(self, authorization: str | None, api_key: str | None) -> Caller | None:
        """Who the request's token belongs to; None when it is nobody's (401)."""
        if self.token_ok(authorization, api_key):
            return LOCAL_CALLER
        people = self.people
        if people is None:
            return None
        presented = _presented(authorization, api_key)
        if presented is None:
            return None
        found = people.find(presented)
        if found is None:
            return None
        person, revoked = found
        return Caller(person, revoked)


def _presented(authorization: str | None, api_key: str | None) -> str | None:
    """The person token the request carries, if it carries one (by its prefix)."""
    if api_key and api_key.strip().startswith(TOKEN_PREFIX):
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip().startswith(TOKEN_PREFIX):
            return value.strip()
    return None
