"""Google-shaped API errors.

The Sheets API (a gRPC-transcoded API) answers errors as
``{"error": {"code", "message", "status"[, "details"]}}``; the Drive API v3
uses the older shape ``{"error": {"code", "message", "errors": [...]}}``.
Handlers raise :class:`ApiError`; the server renders it with the shape of the
API that was called.
"""

from __future__ import annotations

import json
from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

NOT_FOUND_MESSAGE = "Requested entity was not found."
PERMISSION_DENIED_MESSAGE = "The caller does not have permission"
UNAUTHENTICATED_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 "
    "access token, login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """An error answer. ``details`` (Sheets) and ``reason``/``location``
    (Drive) are optional extras copied into the body."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        location: str | None = None,
        domain: str = "global",
        location_type: str = "parameter",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details
        self.reason = reason
        self.location = location
        self.domain = domain
        self.location_type = location_type

    def sheets_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def drive_body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason or _DRIVE_REASONS.get(self.code, "backendError"),
        }
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type
        return {"error": {"code": self.code, "message": self.message, "errors": [item]}}


_DRIVE_REASONS = {
    400: "badRequest",
    401: "required",
    403: "insufficientFilePermissions",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, message)


def bad_field_value(field: str, value: Any, type_name: str) -> ApiError:
    """What Google answers when a JSON body field has the wrong type, e.g.
    ``"values": "X"`` instead of a list."""
    message = f"Invalid value at '{field}' ({type_name}), {json.dumps(value, ensure_ascii=False)}"
    return ApiError(
        400,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ],
    )


def unknown_field(name: str, where: str) -> ApiError:
    """Google's answer to an unknown JSON field (e.g. an unknown batchUpdate
    request kind): the JSON payload is rejected before it is looked at."""
    message = f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    return ApiError(
        400,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": where, "description": message}],
            }
        ],
    )


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND_MESSAGE)


def permission_denied() -> ApiError:
    return ApiError(403, PERMISSION_DENIED_MESSAGE)


def drive_file_not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.", reason="notFound", location="fileId")


INVALID_CREDENTIALS_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def invalid_credentials() -> ApiError:
    """An access token that is unknown, expired or revoked."""
    return ApiError(401, INVALID_CREDENTIALS_MESSAGE, reason="authError", location="Authorization",
                    location_type="header")


def insufficient_scopes() -> ApiError:
    """A token without a scope the method accepts (Google's ACCESS_TOKEN_SCOPE_INSUFFICIENT)."""
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        reason="insufficientPermissions",
        details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                  "domain": "googleapis.com"}],
    )
