"""Error bodies in the client's format: every failure the server reports goes through here.

OpenAI:    ``{"error": {"message", "type", "param", "code"}}``
Anthropic: ``{"type": "error", "error": {"type", "message"}}``

`error_for(exc)` turns any exception into (status, RouterError-like fields),
its message passed through `core.redact.scrub` (no key, by value or by shape);
anything that is not a `RouterError` becomes a generic 500 whose message never
includes the exception text (it may hold a key or a prompt); the traceback goes
to the server log only.
"""

from __future__ import annotations

from dataclasses import dataclass

from routerdesk.core import fastjson
from routerdesk.core.errors import (
    BudgetExceeded,
    InvalidRequest,
    NoUsableModel,
    RouterError,
    UnknownModel,
    UpstreamAuthError,
    UpstreamError,
)
from routerdesk.core.redact import scrub
from routerdesk.core.types import InboundFormat

# Anthropic's error types by status (https://docs.anthropic.com/en/api/errors).
_ANTHROPIC_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
    529: "overloaded_error",
}

# OpenAI `code` values clients look at.
_OPENAI_CODES: dict[str, str] = {
    "UnknownModel": "model_not_found",
    "BudgetExceeded": "budget_exceeded",
    "NoUsableModel": "no_usable_model",
    "UpstreamRateLimited": "rate_limit_exceeded",
    "UpstreamTimeout": "upstream_timeout",
}


@dataclass(frozen=True, slots=True)
class ApiError:
    status: int
    message: str
    kind: str  # OpenAI error "type"
    param: str | None = None
    code: str | None = None
    # False for errors a retry cannot fix (budget reached, no usable model, our
    # key rejected): sent as `x-should-retry: false`, which the OpenAI and
    # Anthropic SDKs obey instead of retrying 429/5xx with back-off.
    retryable: bool = True

    def body(self, fmt: InboundFormat) -> dict[str, object]:
        if fmt == "anthropic":
            return {
                "type": "error",
                "error": {
                    "type": _ANTHROPIC_TYPES.get(self.status, "api_error"),
                    "message": self.message,
                },
            }
        return {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }

    def json_bytes(self, fmt: InboundFormat) -> bytes:
        return fastjson.dumps(self.body(fmt))


INTERNAL = ApiError(
    500,
    "routerdesk hit an unexpected internal error; the details are in its log. "
    "Please retry, and report it if it keeps happening.",
    "server_error",
    code="internal_error",
)


def error_for(exc: BaseException) -> ApiError:
    """The client-facing error for any exception (internal ones stay vague)."""
    if not isinstance(exc, RouterError):
        return INTERNAL
    param = (
        exc.param
        if isinstance(exc, InvalidRequest)
        else ("model" if isinstance(exc, UnknownModel) else None)
    )
    code = _OPENAI_CODES.get(type(exc).__name__)
    message = exc.message
    if isinstance(exc, UpstreamError):
        if exc.provider and exc.provider not in message:
            message = f"{exc.provider}: {message}"
        if exc.upstream_status is not None and code is None:
            code = f"upstream_{exc.upstream_status}"
    status = exc.status if 400 <= exc.status <= 599 else 500
    message = scrub(message)
    retryable = not isinstance(exc, BudgetExceeded | NoUsableModel | UpstreamAuthError)
    return ApiError(status, message, exc.kind, param, code, retryable)


def auth_error() -> ApiError:
    return ApiError(
        401,
        "Missing or wrong routerdesk access token. Send it as your API key "
        "(Authorization: Bearer <token> or x-api-key); the app's Server page and "
        "`routerdesk serve` show where to find it.",
        "authentication_error",
        code="invalid_api_key",
    )


def revoked_error(name: str) -> ApiError:
    return ApiError(
        401,
        f"This routerdesk token (issued to {name!r}) was revoked. Ask the server's admin "
        "for a new one (`routerdesk tokens create`).",
        "authentication_error",
        code="token_revoked",
        retryable=False,
    )
