"""What a failed Google call means, and what the head should do about it, in Russian.

Google says why in its error body: Drive as ``error.errors[0].reason``
(``storageQuotaExceeded``, ``insufficientPermissions``, ``userRateLimitExceeded`` …), the
Sheets API as ``error.status`` and an ``ErrorInfo`` detail's ``reason``
(``ACCESS_TOKEN_SCOPE_INSUFFICIENT``, ``RATE_LIMIT_EXCEEDED``). :func:`google_reason`
takes it out; :func:`is_transient` says whether trying again can help (only timeouts,
429, 5xx and the rate-limit reasons: a 403 ``storageQuotaExceeded`` is not a rate limit,
whatever its ``domain: usageLimits`` suggests); :func:`explain` turns the failure into
the sentence the status page, the admin page and the CLI show.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
NO_STORAGE = "storageQuotaExceeded"
NO_SCOPE = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
NO_ACCOUNT = "invalidSharingRequest"
REVOKED = "invalid_grant"

RECONNECT = ("Доступ к Google отозван — подключите заново: страница администратора, «Подключить Google» "
             "(или команда svod google login)")


def google_reason(body: Any) -> str:
    """The machine-readable reason of an error body, or ''."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, str):          # the OAuth token endpoint: {"error": "invalid_grant", …}
        return error
    if not isinstance(error, Mapping):
        return ""
    for item in error.get("errors") or []:
        if isinstance(item, Mapping) and item.get("reason"):
            return str(item["reason"])
    for detail in error.get("details") or []:
        if isinstance(detail, Mapping) and detail.get("reason"):
            return str(detail["reason"])
    return ""


def is_transient(status: int, reason: str) -> bool:
    """Whether the same request may succeed later: no answer, 408, 429, 5xx, or a 403 that
    is Drive's per-user rate limit."""
    return status == 0 or status in RETRIED_STATUS or (status == 403 and reason in RATE_LIMIT_REASONS)


def explain(status: int, reason: str, message: str, tries: int, account: str) -> str:
    """Why a call failed, in Russian, with what to do about it."""
    who = f" {account}" if account else ""
    if reason == REVOKED or status == 401:
        return RECONNECT
    if reason == NO_STORAGE:
        return (f"Google не даёт сервисному аккаунту{who} создавать файлы: с 2025 года у сервисных аккаунтов нет "
                "места на Google Диске. Подключите свой аккаунт Google (страница администратора, «Подключить "
                "Google», или svod google login) или укажите общий диск Google Workspace в SVOD_GOOGLE_DRIVE_ID "
                "(docs/google.md)")
    if reason in NO_SCOPE:
        return ("у Svod нет нужного разрешения Google: подключите Google заново и оставьте отмеченным доступ "
                "к файлам, которые создаёт Svod")
    if reason == NO_ACCOUNT:
        return ("у этого адреса нет аккаунта Google, а без письма-приглашения Google открывает доступ только "
                "аккаунтам Google: запустите provision без --no-email (Google пришлёт приглашение) или укажите "
                "адрес Gmail")
    if status == 404:
        return (f"таблица не найдена или не открыта аккаунту{who}: проверьте ссылку (для школы — столбец "
                "«Книга» на листе «Школы», для книги руководителя — SVOD_HEAD_SPREADSHEET_ID)")
    if status == 403 and reason in RATE_LIMIT_REASONS or status == 429:
        return (f"Google ограничил частоту запросов (квота API), попыток: {tries}; "
                "повторим при следующей синхронизации")
    if status == 403:
        return f"нет доступа к таблице: откройте её аккаунту{who} с правом редактора"
    if status == 0:
        return (f"Google не ответил (обрыв связи или тайм-аут), попыток: {tries}; "
                "повторим при следующей синхронизации")
    if status >= 500 or status == 408:
        return (f"ошибка на стороне Google ({status}), попыток: {tries}; "
                "повторим при следующей синхронизации")
    return f"Google отклонил запрос ({status}: {message})"
