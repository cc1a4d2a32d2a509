"""Drive API v3: shared drives (``drives.create/list/get``) and ``about.get``.

A shared drive is kept as a :class:`DriveFile` of :data:`SHARED_DRIVE_MIME`: its members
are its permissions (``permissions.create`` on the drive's id with
``supportsAllDrives=true``), files created with it as parent belong to it (``driveId``,
no owner), and it never shows in ``files.list``. Only Google Workspace users create
shared drives: a personal (@gmail.com) account or a service account is refused.
"""

from __future__ import annotations

from typing import Any

from . import fieldmask
from .access import email_of, role
from .call import Call
from .errors import ApiError
from .oauth import is_service_account
from .state import SHARED_DRIVE_MIME, DriveFile, rfc3339

DEFAULT_DRIVE_FIELDS = "kind,id,name"
PERSONAL_DOMAINS = ("gmail.com", "googlemail.com")


def drive_json(file: DriveFile) -> dict[str, Any]:
    return {"kind": "drive#drive", "id": file.id, "name": file.name, "createdTime": rfc3339(file.created_ms),
            "hidden": False, "restrictions": {"driveMembersOnly": False}}


def _select(call: Call, resource: dict[str, Any], default: str) -> dict[str, Any]:
    return fieldmask.select(resource, fieldmask.parse(call.param("fields") or default))


def _drive(call: Call, drive_id: str) -> DriveFile:
    file = call.state.files.get(drive_id)
    if file is None or file.mime_type != SHARED_DRIVE_MIME or not role(call, file):
        raise ApiError(404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId")
    return file


def drives_create(call: Call) -> dict[str, Any]:
    request_id = call.param("requestId")
    if not request_id:
        raise ApiError(400, "Required parameter: requestId", reason="required", location="requestId")
    domain = email_of(call.user).split("@", 1)[1].lower()
    if domain in PERSONAL_DOMAINS or is_service_account(call.user):
        raise ApiError(403, "The authenticated user cannot create new shared drives.",
                       reason="teamDrivesCreationForbidden")
    name = (call.json_body().get("name") or "").strip()
    if not name:
        raise ApiError(400, "A shared drive name is required.", reason="required", location="name")
    taken = call.state.drive_requests
    if request_id in taken:
        raise ApiError(409, "A shared drive with this request ID already exists.", reason="duplicate")
    now = call.state.now_ms()
    drive = DriveFile(call.state.new_drive_id(), name, SHARED_DRIVE_MIME, "", now, now)
    email = email_of(call.user)
    drive.permissions.append({"kind": "drive#permission", "id": "0" + str(abs(hash(email)))[:19], "type": "user",
                              "role": "organizer", "emailAddress": email, "displayName": email.split("@")[0],
                              "deleted": False, "pendingOwner": False})
    call.state.files[drive.id] = drive
    taken[request_id] = drive.id
    call.state.mark_dirty()
    return _select(call, drive_json(drive), DEFAULT_DRIVE_FIELDS)


def drives_get(call: Call, drive_id: str) -> dict[str, Any]:
    return _select(call, drive_json(_drive(call, drive_id)), DEFAULT_DRIVE_FIELDS)


def drives_list(call: Call) -> dict[str, Any]:
    drives = sorted((f for f in call.state.files.values() if f.mime_type == SHARED_DRIVE_MIME and role(call, f)),
                    key=lambda f: f.created_ms)
    out = {"kind": "drive#driveList", "drives": [drive_json(d) for d in drives]}
    return fieldmask.select_listing(out, "drives", call.param("fields"), DEFAULT_DRIVE_FIELDS)


def about_get(call: Call) -> dict[str, Any]:
    """Who the caller is (Svod shows the head's address after she connects)."""
    if not call.param("fields"):
        raise ApiError(400, "The 'fields' parameter is required for this method.", reason="required",
                       location="fields")
    email = email_of(call.user)
    about = {"kind": "drive#about", "user": {"kind": "drive#user", "displayName": email.split("@")[0], "me": True,
                                              "emailAddress": email}}
    return fieldmask.select(about, fieldmask.parse(call.param("fields")))
