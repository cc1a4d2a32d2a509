"""All emulator state: Drive files, the spreadsheets behind them, the clock
and id generators, guarded by one lock and optionally persisted to a file."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import string
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .model import Spreadsheet

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
# A shared drive is kept as a file of this kind: it has members (permissions) like a file,
# never shows in files.list, and is the parent of the files in it.
SHARED_DRIVE_MIME = "application/vnd.google-apps.shared-drive"
_ID_CHARS = string.ascii_letters + string.digits + "-_"


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str
    created_ms: int
    modified_ms: int
    parents: list[str] = field(default_factory=list)
    trashed: bool = False
    starred: bool = False
    description: str | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1
    # The shared drive the file is in (None: somebody's My Drive; then ``owner`` owns it).
    drive_id: str | None = None
    # The OAuth client that created the file: a token with only the drive.file scope
    # sees the files its own client created and nothing else.
    app: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriveFile:
        return cls(**data)


def rfc3339(ms: int) -> str:
    """Drive timestamps: UTC, millisecond precision, 'Z'."""
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_rfc3339(text: str) -> int:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


class State:
    """Holds files and spreadsheets. Callers take ``lock`` around any access;
    ``touch`` marks a change so the state file is rewritten."""

    def __init__(self, path: str | None = None, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.files: dict[str, DriveFile] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.drive_requests: dict[str, str] = {}  # drives.create requestId -> drive id
        self._random = random.Random(seed)
        self._last_ms = 0
        self._dirty = False
        if path and os.path.exists(path):
            self.load()

    # -- ids and time -----------------------------------------------------

    def now_ms(self) -> int:
        """Milliseconds since the epoch, strictly increasing across calls so
        that every change moves modifiedTime forward."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def new_file_id(self) -> str:
        while True:
            candidate = "1" + "".join(self._random.choice(_ID_CHARS) for _ in range(43))
            if candidate not in self.files:
                return candidate

    def new_drive_id(self) -> str:
        """Shared drive ids look like Drive's: 19 characters, ``0A…9PVA``."""
        while True:
            candidate = "0A" + "".join(self._random.choice(_ID_CHARS[:62]) for _ in range(13)) + "9PVA"
            if candidate not in self.files:
                return candidate

    def new_small_id(self, taken: set[int]) -> int:
        """Sheet, protected range and similar ids: positive 31-bit ints."""
        while True:
            candidate = self._random.randint(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    def new_token(self, length: int = 20) -> str:
        return "".join(self._random.choice(string.ascii_letters + string.digits) for _ in range(length))

    # -- changes ------------------------------------------------------------

    def touch(self, file: DriveFile) -> None:
        file.modified_ms = self.now_ms()
        file.version += 1
        self._dirty = True

    def mark_dirty(self) -> None:
        self._dirty = True

    def clear(self) -> None:
        self.files.clear()
        self.spreadsheets.clear()
        self.drive_requests.clear()
        self._dirty = True

    # -- persistence ----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "lastMs": self._last_ms,
            "files": [f.to_json() for f in self.files.values()],
            "spreadsheets": [s.to_json() for s in self.spreadsheets.values()],
            "driveRequests": self.drive_requests,
        }

    def load(self) -> None:
        with open(self.path, encoding="utf-8") as fh:
            data = json.load(fh)
        self._last_ms = data["lastMs"]
        self.files = {f["id"]: DriveFile.from_json(f) for f in data["files"]}
        self.spreadsheets = {s["id"]: Spreadsheet.from_json(s) for s in data["spreadsheets"]}
        self.drive_requests = dict(data.get("driveRequests") or {})

    def save_if_dirty(self) -> None:
        """Write the state file atomically (temp file + rename) if anything
        changed since the last save."""
        if not self.path or not self._dirty:
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".sheets-emulator-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise
        self._dirty = False
