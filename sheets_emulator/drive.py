"""Drive API v3: files (create, get, list, update, copy, delete, export),
permissions and comments — what gspread and a sync service use."""

from __future__ import annotations

import base64
import copy
import csv
import io
from typing import Any

from . import drive_query, fieldmask
from .access import all_drives, check_can_own, email_of, open_file, permission_denied_drive, role
from .call import Call
from .errors import ApiError
from .model import Evaluator
from .sheets import create_spreadsheet
from .state import FOLDER_MIME, SHARED_DRIVE_MIME, SPREADSHEET_MIME, DriveFile, rfc3339

DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
DEFAULT_PERMISSION_FIELDS = "kind,id,type,role"
EXPORT_DELIMITERS = {"text/csv": ",", "text/tab-separated-values": "\t"}


def _bad_request(message: str, location: str | None = None, reason: str = "badRequest") -> ApiError:
    return ApiError(400, message, reason=reason, location=location)


def file_json(call: Call, file: DriveFile) -> dict[str, Any]:
    """The full File resource the emulator knows about."""
    owner = email_of(file.owner)
    out: dict[str, Any] = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "starred": file.starred,
        "trashed": file.trashed,
        "explicitlyTrashed": file.trashed,
        "parents": list(file.parents),
        "version": str(file.version),
        "createdTime": rfc3339(file.created_ms),
        "modifiedTime": rfc3339(file.modified_ms),
        "ownedByMe": file.owner == call.user,
        "owners": [
            {
                "kind": "drive#user",
                "displayName": owner.split("@")[0],
                "me": file.owner == call.user,
                "emailAddress": owner,
            }
        ],
        "shared": bool(file.permissions),
        "webViewLink": _view_link(file),
    }
    if not file.parents:
        del out["parents"]
    if file.drive_id:  # the drive owns it: no owners, as Drive answers for shared drive items
        out["driveId"] = file.drive_id
        out["ownedByMe"] = False
        del out["owners"]
    if file.description is not None:
        out["description"] = file.description
    return out


def _view_link(file: DriveFile) -> str:
    if file.mime_type == SPREADSHEET_MIME:
        return f"https://docs.google.com/spreadsheets/d/{file.id}/edit?usp=drivesdk"
    if file.mime_type == FOLDER_MIME:
        return f"https://drive.google.com/drive/folders/{file.id}"
    return f"https://drive.google.com/file/d/{file.id}/view?usp=drivesdk"


def _select(call: Call, resource: dict[str, Any], default: str) -> dict[str, Any]:
    fields = call.param("fields") or default
    return fieldmask.select(resource, fieldmask.parse(fields))


# -- files -------------------------------------------------------------------------


def files_create(call: Call) -> dict[str, Any]:
    body = call.json_body()
    mime = body.get("mimeType") or "application/octet-stream"
    parents = body.get("parents") or []
    _check_parents(call, parents)
    if mime == SPREADSHEET_MIME:
        file, _ = create_spreadsheet(call, body.get("name") or "Untitled spreadsheet", parents)
    else:
        file = _plain_file(call, body.get("name") or "Untitled", mime, list(parents))
    file.description = body.get("description")
    file.starred = bool(body.get("starred"))
    call.state.mark_dirty()
    return _select(call, file_json(call, file), DEFAULT_FILE_FIELDS)


def _plain_file(call: Call, name: str, mime: str, parents: list[str]) -> DriveFile:
    """A file that is metadata only (a folder, say), owned by the caller or by a shared drive."""
    drive_id = check_can_own(call, parents, mime)
    now = call.state.now_ms()
    file = DriveFile(call.state.new_file_id(), name, mime, "" if drive_id else call.user, now, now, parents,
                     drive_id=drive_id, app=call.client)
    call.state.files[file.id] = file
    return file


def _check_parents(call: Call, parents: list[str]) -> None:
    """Every parent must be a folder (or shared drive) the caller can add to; a shared drive
    item has exactly one parent."""
    for parent in parents:
        if parent != "root":
            open_file(call, parent, write=True)
    if len(parents) > 1 and any(call.state.files.get(p) and (call.state.files[p].drive_id or
                                call.state.files[p].mime_type == SHARED_DRIVE_MIME) for p in parents):
        raise _bad_request("A shared drive item must have exactly one parent.", reason="teamDrivesParentLimit")


def files_get(call: Call, file_id: str) -> dict[str, Any]:
    file = open_file(call, file_id)
    return _select(call, file_json(call, file), DEFAULT_FILE_FIELDS)


_ORDER_KEYS = {
    "createdTime": lambda f: f.created_ms,
    "modifiedTime": lambda f: f.modified_ms,
    "name": lambda f: f.name.lower(),
    "name_natural": lambda f: f.name.lower(),
    "starred": lambda f: f.starred,
    "folder": lambda f: f.mime_type == FOLDER_MIME,
    "recency": lambda f: f.modified_ms,
}


def _ordered(files: list[DriveFile], order_by: str | None) -> list[DriveFile]:
    # Without orderBy Drive returned the most recently modified first in
    # every recording; ties fall back to the id for stable paging.
    keys = [part.strip().split() for part in (order_by or "modifiedTime desc").split(",") if part.strip()]
    result = sorted(files, key=lambda f: f.id)
    for spec in reversed(keys):
        if spec[0] not in _ORDER_KEYS or (len(spec) > 1 and spec[1] not in ("asc", "desc")):
            raise _bad_request("Invalid Value", location="orderBy", reason="invalid")
        result.sort(key=_ORDER_KEYS[spec[0]], reverse=len(spec) > 1 and spec[1] == "desc")
    return result


def _corpus(call: Call) -> str | None:
    """The shared drive a listing is limited to (None: the user's corpus), after Drive's
    checks of corpora, driveId and includeItemsFromAllDrives."""
    corpora = call.param("corpora") or "user"
    drive_id = call.param("driveId")
    include = call.flag("includeItemsFromAllDrives") or call.flag("includeTeamDriveItems")
    if corpora not in ("user", "domain", "drive", "allDrives"):
        raise _bad_request("Invalid Value", location="corpora", reason="invalid")
    if (corpora == "drive") != bool(drive_id):
        raise _bad_request("The driveId parameter must be specified if and only if corpora is set to drive.",
                           location="driveId", reason="teamDriveIdRequiresTeamDriveCorpora")
    if (drive_id or corpora in ("drive", "allDrives")) and not include:
        raise ApiError(403, "The includeItemsFromAllDrives parameter must be set to true when driveId is "
                       "specified or corpora contains drive or allDrives.", reason="teamDriveItemsNotSupported")
    if include and not all_drives(call):
        raise ApiError(403, "The includeItemsFromAllDrives parameter can only be set to true when "
                       "supportsAllDrives is true.", reason="teamDriveItemsNotSupported")
    if drive_id:
        drive = call.state.files.get(drive_id)
        if drive is None or drive.mime_type != SHARED_DRIVE_MIME or not role(call, drive):
            raise ApiError(404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId")
    return drive_id


def _listed(call: Call, file: DriveFile, drive_id: str | None) -> bool:
    if file.mime_type == SHARED_DRIVE_MIME or not role(call, file):
        return False
    if drive_id is not None:
        return file.drive_id == drive_id
    # corpora=user: My Drive items, and shared drive items only when the caller asked for
    # them (Drive answers the user's corpus with the drives' items it can see).
    return not file.drive_id or call.flag("includeItemsFromAllDrives") or call.flag("includeTeamDriveItems")


def files_list(call: Call) -> dict[str, Any]:
    query = call.param("q")
    drive_id = _corpus(call)
    visible = [f for f in call.state.files.values() if _listed(call, f, drive_id)]
    if query:
        predicate = drive_query.compile_query(query, call.user, email_of(call.user))
        visible = [f for f in visible if predicate(f)]
    visible = _ordered(visible, call.param("orderBy"))
    try:
        size = int(call.param("pageSize") or 100)
    except ValueError:
        raise _bad_request("Invalid Value", location="pageSize", reason="invalid") from None
    if not 1 <= size <= 1000:
        raise _bad_request("Invalid Value", location="pageSize", reason="invalid")
    offset = _decode_page_token(call.param("pageToken"))
    page = visible[offset : offset + size]
    out: dict[str, Any] = {"kind": "drive#fileList"}
    if offset + size < len(visible):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()
    out["incompleteSearch"] = False
    out["files"] = [file_json(call, f) for f in page]
    return fieldmask.select_listing(out, "files", call.param("fields"), DEFAULT_FILE_FIELDS)


def _decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("offset:"):
            return int(text[len("offset:") :])
    except (ValueError, UnicodeDecodeError):
        pass
    raise _bad_request("Invalid Value", location="pageToken", reason="invalid")


def files_update(call: Call, file_id: str) -> dict[str, Any]:
    file = open_file(call, file_id, write=True)
    body = call.json_body()
    if "name" in body:
        file.name = body["name"] or file.name
        spreadsheet = call.state.spreadsheets.get(file.id)
        if spreadsheet is not None:
            spreadsheet.properties["title"] = file.name
    for key, attr in (("description", "description"), ("starred", "starred"), ("trashed", "trashed")):
        if key in body:
            setattr(file, attr, body[key])
    add = [p for p in (call.param("addParents") or "").split(",") if p]
    remove = [p for p in (call.param("removeParents") or "").split(",") if p]
    _check_parents(call, add)
    file.parents = [p for p in file.parents if p not in remove] + [p for p in add if p not in file.parents]
    call.state.touch(file)
    return _select(call, file_json(call, file), DEFAULT_FILE_FIELDS)


def files_copy(call: Call, file_id: str) -> dict[str, Any]:
    source = open_file(call, file_id)
    body = call.json_body()
    parents = body.get("parents") or list(source.parents)
    _check_parents(call, parents)
    name = body.get("name") or f"Copy of {source.name}"
    if source.mime_type == SHARED_DRIVE_MIME:
        raise _bad_request("A shared drive cannot be copied.", reason="badRequest")
    if source.mime_type == SPREADSHEET_MIME:
        file, spreadsheet = create_spreadsheet(call, name, parents)
        original = call.state.spreadsheets[source.id]
        spreadsheet.properties = copy.deepcopy(original.properties)
        spreadsheet.properties["title"] = name
        spreadsheet.sheets = copy.deepcopy(original.sheets)
        spreadsheet.named_ranges = copy.deepcopy(original.named_ranges)
    else:
        file = _plain_file(call, name, source.mime_type, list(parents))
    file.description = body.get("description", source.description)
    call.state.mark_dirty()
    return _select(call, file_json(call, file), DEFAULT_FILE_FIELDS)


def files_delete(call: Call, file_id: str) -> None:
    file = open_file(call, file_id)
    if file.mime_type == SHARED_DRIVE_MIME:
        raise _bad_request("Shared drives are deleted with drives.delete.", reason="badRequest")
    if file.owner != call.user and not (file.drive_id and role(call, file) >= 3):
        raise permission_denied_drive()
    for child in [f for f in call.state.files.values() if file.id in f.parents]:
        files_delete(call, child.id)
    del call.state.files[file.id]
    call.state.spreadsheets.pop(file.id, None)
    call.state.mark_dirty()


def files_export(call: Call, file_id: str) -> tuple[str, bytes]:
    """CSV/TSV of the first sheet, formatted values, as Drive exports them."""
    file = open_file(call, file_id)
    mime = call.param("mimeType") or ""
    spreadsheet = call.state.spreadsheets.get(file.id)
    if spreadsheet is None or mime not in EXPORT_DELIMITERS:
        raise _bad_request("The requested conversion is not supported.", location="convertTo", reason="badRequest")
    sheet = spreadsheet.sheets[0]
    evaluator = Evaluator(spreadsheet)
    occupied = [key for key, cell in sheet.cells.items() if cell.get("userEnteredValue")]
    rows = max((r for r, _ in occupied), default=-1) + 1
    cols = max((c for _, c in occupied), default=-1) + 1
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=EXPORT_DELIMITERS[mime], lineterminator="\r\n")
    for r in range(rows):
        writer.writerow([evaluator.render(sheet, r, c, "FORMATTED_VALUE", "FORMATTED_STRING") for c in range(cols)])
    return mime, buffer.getvalue().encode("utf-8")


# -- permissions -----------------------------------------------------------------------


def _owner_permission(file: DriveFile) -> dict[str, Any] | None:
    if not file.owner:  # a shared drive or its item: the drive owns it
        return None
    email = email_of(file.owner)
    return {
        "kind": "drive#permission",
        "id": _permission_id(email),
        "type": "user",
        "emailAddress": email,
        "role": "owner",
        "displayName": email.split("@")[0],
        "deleted": False,
        "pendingOwner": False,
    }


def _permission_id(key: str) -> str:
    # Google derives a user's permission id from the account, so one user has
    # the same id on every file; a stable digest of the address does that.
    digest = int.from_bytes(key.lower().encode("utf-8")[:16].ljust(16, b"\0"), "big")
    return str(digest % 10**20).rjust(20, "0")


def permissions_create(call: Call, file_id: str) -> dict[str, Any]:
    file = open_file(call, file_id, write=True)
    body = call.json_body()
    kind, role_name = body.get("type"), body.get("role")
    if kind not in ("user", "group", "domain", "anyone"):
        raise _bad_request("The permission type field is required.", location="permission.type", reason="required")
    if role_name not in ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"):
        raise _bad_request("The permission role field is required.", location="permission.role", reason="required")
    if role_name == "owner" and not call.flag("transferOwnership"):
        raise ApiError(
            403,
            "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
            reason="forbidden",
            location="transferOwnership",
        )
    permission: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role_name}
    notify = call.flag("sendNotificationEmail", default=kind in ("user", "group"))
    if kind in ("user", "group"):
        email = body.get("emailAddress")
        if not email:
            raise _bad_request(
                "The permission emailAddress field is required for the specified permission type.",
                location="permission.emailAddress",
                reason="required",
            )
        if not notify and not call.has_account(email):
            # Drive can grant a role only to a Google account; anyone else must get the invitation.
            raise _bad_request(
                f'Bad Request. User message: "You are trying to invite {email}. Since there is no Google account '
                'associated with this email address, you must check the "Notify people" box to invite this '
                'recipient."',
                reason="invalidSharingRequest",
            )
        permission.update(id=_permission_id(email), emailAddress=email, displayName=email.split("@")[0])
    elif kind == "domain":
        permission.update(id=_permission_id("domain:" + (body.get("domain") or "")), domain=body.get("domain"))
        permission["allowFileDiscovery"] = bool(body.get("allowFileDiscovery", not body.get("withLink", False)))
    else:
        permission["id"] = "anyoneWithLink" if body.get("withLink") or not body.get("allowFileDiscovery") else "anyone"
        permission["allowFileDiscovery"] = permission["id"] == "anyone"
    permission["deleted"] = False
    permission["pendingOwner"] = False
    file.permissions = [p for p in file.permissions if p["id"] != permission["id"]] + [permission]
    if role_name == "owner":
        file.owner = permission["emailAddress"]
    call.state.touch(file)
    return _select(call, permission, DEFAULT_PERMISSION_FIELDS)


def permissions_list(call: Call, file_id: str) -> dict[str, Any]:
    file = open_file(call, file_id)
    owner = _owner_permission(file)
    inherited = []
    if file.drive_id and file.drive_id in call.state.files:  # the drive's members, as Drive lists them
        inherited = [{**p, "permissionDetails": [{"permissionType": "member", "role": p["role"], "inherited": True,
                                                  "inheritedFrom": file.drive_id}]}
                     for p in call.state.files[file.drive_id].permissions]
    own = [p for p in file.permissions if owner is None or p["id"] != owner["id"]]
    out = {"kind": "drive#permissionList",
           "permissions": ([owner] if owner else []) + copy.deepcopy(inherited) + copy.deepcopy(own)}
    return fieldmask.select_listing(out, "permissions", call.param("fields"), DEFAULT_PERMISSION_FIELDS)


def permissions_delete(call: Call, file_id: str, permission_id: str) -> None:
    file = open_file(call, file_id, write=True)
    kept = [p for p in file.permissions if p["id"] != permission_id]
    if len(kept) == len(file.permissions):
        raise ApiError(404, f"Permission not found: {permission_id}.", reason="notFound", location="permissionId")
    file.permissions = kept
    call.state.touch(file)


# -- comments -----------------------------------------------------------------------------


def _require_fields(call: Call) -> None:
    # The comments API refuses calls without a field selection.
    if not call.param("fields"):
        raise _bad_request("The 'fields' parameter is required for this method.", location="fields", reason="required")


def comments_list(call: Call, file_id: str) -> dict[str, Any]:
    _require_fields(call)
    file = open_file(call, file_id)
    out = {"kind": "drive#commentList", "comments": copy.deepcopy(file.comments)}
    return fieldmask.select(out, fieldmask.parse(call.param("fields")))


def comments_create(call: Call, file_id: str) -> dict[str, Any]:
    _require_fields(call)
    file = open_file(call, file_id)
    body = call.json_body()
    if not body.get("content"):
        raise _bad_request("A comment content is required.", location="content", reason="required")
    now = rfc3339(call.state.now_ms())
    comment = {
        "kind": "drive#comment",
        "id": call.state.new_token(12),
        "content": body["content"],
        "createdTime": now,
        "modifiedTime": now,
        "author": {"kind": "drive#user", "displayName": email_of(call.user).split("@")[0], "me": True},
        "deleted": False,
        "resolved": False,
        "replies": [],
    }
    if body.get("anchor"):
        comment["anchor"] = body["anchor"]
    file.comments.append(comment)
    call.state.mark_dirty()
    return fieldmask.select(comment, fieldmask.parse(call.param("fields")))
