"""Who may see and change a file.

The bearer token *is* the user: a file belongs to the token that created it
and other tokens need a Drive permission for it (``type=anyone``, or
``emailAddress``/``domain`` matching the token). So a test acting as
``alice@school.example`` sends ``Authorization: Bearer alice@school.example``.

A file in a shared drive belongs to the drive: its members' roles on the drive count
on every file in it. A token whose only way into the API is the drive.file scope sees
only the files its own OAuth client created.

Who may own a file: since 2025 a service account has no Drive storage, so it can create
files only inside a shared drive (:func:`check_can_own`).
"""

from __future__ import annotations

from .call import Call
from .errors import ApiError, drive_file_not_found, not_found, permission_denied
from .model import Spreadsheet
from .oauth import is_service_account
from .state import FOLDER_MIME, SHARED_DRIVE_MIME, DriveFile

# Google's words (recorded in 2025-12 by users of the Drive API; see docs/emulator.md).
NO_STORAGE_MESSAGE = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth "
    "delegation (http://support.google.com/a/answer/7281227) instead."
)

_ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3, "owner": 4}


def email_of(user: str) -> str:
    return user if "@" in user else f"{user}@emulator.invalid"


def role_of(file: DriveFile, user: str, drive: DriveFile | None = None) -> int:
    """The user's role on ``file``; ``drive``: the shared drive it is in, whose members'
    roles count too."""
    if file.owner == user:
        return _ROLE_RANK["owner"]
    best = role_of(drive, user) if drive is not None else 0
    email = email_of(user).lower()
    domain = email.split("@", 1)[1]
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


def role(call: Call, file: DriveFile) -> int:
    """The caller's role on ``file``, 0 when the caller may not see it."""
    if call.app_only and file.app != call.client:
        return 0
    drive = call.state.files.get(file.drive_id) if file.drive_id else None
    return role_of(file, call.user, drive)


def all_drives(call: Call) -> bool:
    """supportsAllDrives (or its old name): without it Drive acts as if shared drives did not exist."""
    return call.flag("supportsAllDrives") or call.flag("supportsTeamDrives")


def open_file(call: Call, file_id: str, write: bool = False) -> DriveFile:
    """A Drive file the caller may see (and change, with ``write``).
    Files the caller cannot see at all are "not found", as in Drive; so are the files of
    a shared drive (and the drive itself) when the request lacks supportsAllDrives."""
    file = call.state.files.get(file_id)
    if file is None or file.mime_type == SHARED_DRIVE_MIME and not all_drives(call):
        raise drive_file_not_found(file_id)
    if file.drive_id and not all_drives(call):
        raise drive_file_not_found(file_id)
    level = role(call, file)
    if level == 0:
        raise drive_file_not_found(file_id)
    if write and level < _ROLE_RANK["writer"]:
        raise permission_denied_drive()
    return file


def check_can_own(call: Call, parents: list[str], mime: str) -> str | None:
    """The shared drive a new file goes into (None: the creator's My Drive). A service
    account cannot own a file in a My Drive, its own or a folder somebody shared with it:
    403 storageQuotaExceeded, as Google answers since 2025 (folders hold no bytes and are
    let through). ``legacy_storage_accounts`` lists accounts that still had storage."""
    drive_id = None
    for parent in parents:
        found = call.state.files.get(parent)
        if found is not None:
            drive_id = found.id if found.mime_type == SHARED_DRIVE_MIME else found.drive_id
    if drive_id is None and mime != FOLDER_MIME and is_service_account(call.user) \
            and call.user.lower() not in call.legacy_storage:
        raise ApiError(403, NO_STORAGE_MESSAGE, reason="storageQuotaExceeded", domain="usageLimits")
    return drive_id


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
    level = role(call, file)
    if level == 0 or (write and level < _ROLE_RANK["writer"]):
        raise permission_denied()
    return file, spreadsheet
