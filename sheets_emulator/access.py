"""Who may see and change a file.

The bearer token *is* the user: a file belongs to the token that created it
and other tokens need a Drive permission for it (``type=anyone``, or
``emailAddress``/``domain`` matching the token). So a test acting as
``alice@school.example`` sends ``Authorization: Bearer alice@school.example``.
"""

from __future__ import annotations

from .call import Call
from .errors import ApiError, drive_file_not_found, not_found, permission_denied
from .model import Spreadsheet
from .state import DriveFile

_ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3, "owner": 4}


def email_of(user: str) -> str:
    return user if "@" in user else f"{user}@emulator.invalid"


def role_of(file: DriveFile, user: str) -> int:
    if file.owner == user:
        return _ROLE_RANK["owner"]
    email = email_of(user).lower()
    domain = email.split("@", 1)[1]
    best = 0
    for perm in file.permissions:
        kind = perm.get("type")
        matches = (
            kind == "anyone"
            or (kind in ("user", "group") and perm.get("emailAddress", "").lower() == email)
            or (kind == "domain" and perm.get("domain", "").lower() == domain)
        )
        if matches:
            best = max(best, _ROLE_RANK.get(perm.get("role", "reader"), 1))
    return best


def open_file(call: Call, file_id: str, write: bool = False) -> DriveFile:
    """A Drive file the caller may see (and change, with ``write``).
    Files the caller cannot see at all are "not found", as in Drive."""
    file = call.state.files.get(file_id)
    if file is None:
        raise drive_file_not_found(file_id)
    role = role_of(file, call.user)
    if role == 0:
        raise drive_file_not_found(file_id)
    if write and role < _ROLE_RANK["writer"]:
        raise permission_denied_drive()
    return file


def permission_denied_drive() -> ApiError:
    return ApiError(
        403,
        "The user does not have sufficient permissions for this file.",
        reason="insufficientFilePermissions",
    )


def open_spreadsheet(call: Call, spreadsheet_id: str, write: bool = False) -> tuple[DriveFile, Spreadsheet]:
    """A spreadsheet for the Sheets API, which answers 404 for unknown ids
    and 403 for files that exist but are not shared with the caller."""
    spreadsheet = call.state.spreadsheets.get(spreadsheet_id)
    file = call.state.files.get(spreadsheet_id)
    if spreadsheet is None or file is None:
        raise not_found()
    role = role_of(file, call.user)
    if role == 0 or (write and role < _ROLE_RANK["writer"]):
        raise permission_denied()
    return file, spreadsheet
