"""The one error hierarchy of routerdesk; the server maps each class to a status and an API error body.

    RouterError                      base; `status` and `kind` say how the server answers
    ├── InvalidRequest        400    the client's request is malformed (names the field)
    ├── UnknownModel          404    `model` names nothing we know (lists close matches)
    ├── NoUsableModel         503    every candidate was filtered out (says what to fix)
    ├── BudgetExceeded        429    the user's spend limit is reached
    ├── ConfigError                  a settings/registry file is invalid (file, field, reason)
    ├── SecretStoreError             no usable keyring backend (says what to install)
    ├── TeamDatabaseError            the team usage database the app shows cannot be read
    └── UpstreamError                a provider failed; `retryable` says if fallback may try another
        ├── UpstreamTimeout   504    connect / first byte / idle gap / total deadline passed
        ├── UpstreamConnectionError 502  refused, reset, DNS
        ├── UpstreamRateLimited 429  429 from the provider (`retry_after` seconds if given)
        ├── UpstreamAuthError  401    the provider rejected our key (the provider is benched)
        ├── UpstreamForbidden  403    our key may not use this model (only this model fails)
        ├── UpstreamBadRequest 400/404/422  the provider says the request is wrong: never retried
        ├── UpstreamServerError 5xx, 408, 409
        └── UpstreamProtocolError 502  malformed JSON, wrong content type, a stream cut short

Messages never contain API keys: adapters build them from status codes and the
provider's own error text, which goes through `core.redact.scrub()` first
(and again wherever a message leaves the process or is stored).
"""

from __future__ import annotations


class RouterError(Exception):
    status: int = 500
    kind: str = "server_error"  # OpenAI error "type"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(RouterError):
    status = 400
    kind = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class UnknownModel(RouterError):
    status = 404
    kind = "invalid_request_error"

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"Unknown model {name!r}. Use 'auto', 'auto:cheapest', 'auto:balanced', "
            f"'auto:best', a registry id or 'provider/model'.{hint}"
        )
        self.name = name
        self.suggestions = suggestions


class NoUsableModel(RouterError):
    status = 503
    kind = "no_usable_model"


class BudgetExceeded(RouterError):
    status = 429
    kind = "budget_exceeded"


class ConfigError(RouterError):
    kind = "config_error"

    def __init__(self, path: str, field: str, reason: str) -> None:
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.field = field
        self.reason = reason


class TeamDatabaseError(RouterError):
    """The team's usage database (`[storage] team_url`, shown read-only) cannot be read:
    unreachable, refused, not a routerdesk log. The message names the database, never a
    password."""

    kind = "team_database_error"


class SecretStoreError(RouterError):
    kind = "secret_store_error"


class UpstreamError(RouterError):
    status = 502
    kind = "upstream_error"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.upstream_status = status
        self.retry_after = retry_after
        if status is not None and type(self) is UpstreamError:
            self.status = status


class UpstreamTimeout(UpstreamError):
    status = 504
    kind = "upstream_timeout"


class UpstreamConnectionError(UpstreamError):
    status = 502
    kind = "upstream_connection_error"


class UpstreamRateLimited(UpstreamError):
    status = 429
    kind = "rate_limit_error"


class UpstreamAuthError(UpstreamError):
    status = 502  # our key is bad, not the client's: don't tell the client "401"
    kind = "upstream_auth_error"


class UpstreamForbidden(UpstreamError):
    """403: the key is valid but may not use this model (tier, region, organisation);
    other models of the provider may still answer, so the provider is not benched."""

    status = 502
    kind = "upstream_permission_error"


class UpstreamBadRequest(UpstreamError):
    status = 400
    kind = "invalid_request_error"
    retryable = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message, provider=provider, status=status)
        if status in (400, 404, 413, 422):
            self.status = 400 if status == 404 else status


class UpstreamServerError(UpstreamError):
    status = 502
    kind = "upstream_server_error"


class UpstreamProtocolError(UpstreamError):
    status = 502
    kind = "upstream_protocol_error"
