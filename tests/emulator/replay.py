"""Replaying recorded Google traffic (vcrpy cassettes) against the emulator.

The emulator hands out its own spreadsheet ids, sheet ids, protected range
ids and timestamps, so the replayer learns a mapping from recorded values to
emulator values as responses come in (walking the recorded and the actual
JSON side by side) and rewrites later requests and expected responses with
it. Timestamps are compared by format only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

# The service account that made the recordings. The emulator's user is its
# bearer token, so replaying with this token makes the owner's address (shown
# by Google in protected range editors) come out the same.
OWNER = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
# A different user, owner of the private spreadsheet the recordings probe.
STRANGER = "someone-else@example.com"

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
# Values the emulator chooses itself; learned from responses.
ID_KEYS = {"id", "spreadsheetId", "sheetId", "protectedRangeId", "namedRangeId"}
# Request body keys holding ids that must be translated before sending.
REQUEST_ID_KEYS = {"sheetId", "protectedRangeId", "namedRangeId", "sourceSheetId", "newSheetId"}
TIME_KEYS = {"createdTime", "modifiedTime"}
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FILE_ID = re.compile(r"1[A-Za-z0-9_-]{43}")


@dataclass
class Outcome:
    index: int
    method: str
    uri: str
    problems: list[str]


@dataclass
class Replayer:
    base_url: str
    session: requests.Session = field(default_factory=requests.Session)
    ids: dict[Any, Any] = field(default_factory=dict)
    seeding: dict[int, list[tuple[str, str, str, str]]] = field(default_factory=dict)

    # -- preconditions ----------------------------------------------------------

    def grandfather_recording_account(self) -> None:
        """The recordings were made in 2023-2024, when a service account still owned Drive
        storage; today's rule (no storage, docs/emulator.md) would refuse their creates."""
        answer = self.session.post(f"{self.base_url}/_emulator/config", json={"legacy_storage_accounts": [OWNER]})
        answer.raise_for_status()

    def plan_seeding(self, interactions: list[dict[str, Any]]) -> None:
        """Plan how to recreate what the recording account held: spreadsheets
        that show up in Drive listings or are opened by id without being
        created by the cassette, plus a spreadsheet of another user for
        requests Google answered with 403.

        A cassette holds recordings made weeks apart and the account gained
        files in between, so each file is created at the start of the first
        recording (segment opened by a Drive create) that mentions it,
        oldest first: Drive's newest-first listing then comes out in the
        recorded order.
        """
        created: set[str] = set()
        seen: set[str] = set()
        segment = 0
        for index, interaction in enumerate(interactions):
            request, response = interaction["request"], interaction["response"]
            body = _json(response["body"]["string"])
            if request["method"] == "POST" and urlsplit(request["uri"]).path == "/drive/v3/files":
                segment = index
                created.add(body["id"])
                continue
            found: list[tuple[str, str, str, str]] = []  # (createdTime, id, name, owner)
            listed = body.get("files", []) if isinstance(body, dict) else []
            for file in listed:
                found.append((file.get("createdTime", ""), file["id"], file["name"], OWNER))
            status = response["status"]["code"]
            for file_id in FILE_ID.findall(urlsplit(request["uri"]).path):
                if status != 404:
                    name = body.get("name", "Seeded spreadsheet") if isinstance(body, dict) else "Seeded spreadsheet"
                    found.append(("", file_id, name, STRANGER if status == 403 else OWNER))
            for item in found:
                if item[1] not in created and item[1] not in seen:
                    seen.add(item[1])
                    self.seeding.setdefault(segment, []).append(item)
        for items in self.seeding.values():
            items.sort()

    def _seed(self, index: int) -> None:
        for _, file_id, name, owner in self.seeding.pop(index, []):
            answer = self.session.post(
                f"{self.base_url}/drive/v3/files",
                json={"name": name, "mimeType": SPREADSHEET_MIME},
                headers={"Authorization": f"Bearer {owner}"},
            )
            answer.raise_for_status()
            self.ids[file_id] = answer.json()["id"]

    # -- replay ---------------------------------------------------------------------

    def replay(self, index: int, interaction: dict[str, Any]) -> Outcome:
        self._seed(index)
        request, recorded = interaction["request"], interaction["response"]
        parts = urlsplit(request["uri"])
        path = self._translate_text(parts.path)
        query = self._translate_text(parts.query)
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        headers = {"Authorization": f"Bearer {OWNER}"}
        data = request["body"]
        if data:
            parsed = _json(data)
            if parsed is not None:
                data = json.dumps(self._translate_request(parsed))
            headers["Content-Type"] = "application/json"
        answer = self.session.request(request["method"], url, data=data.encode() if data else None, headers=headers)
        problems = []
        expected_status = recorded["status"]["code"]
        if answer.status_code != expected_status:
            problems.append(f"status: recorded {expected_status}, emulator {answer.status_code}: {answer.text[:300]}")
        expected = _json(recorded["body"]["string"])
        actual = _json(answer.text)
        if expected is not None or actual is not None:
            if not problems:
                self._learn(expected, actual)
            problems += diff(self._translate_response(expected), _normalise(actual), "")
        return Outcome(index, request["method"], request["uri"], problems)

    # -- id mapping -------------------------------------------------------------------

    def _learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                if key in actual:
                    if key in ID_KEYS and not isinstance(value, (dict, list)) and value not in self.ids:
                        self.ids[value] = actual[key]
                    self._learn(value, actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for r, a in zip(recorded, actual):
                self._learn(r, a)

    def _translate_text(self, text: str) -> str:
        for recorded, mine in self.ids.items():
            if isinstance(recorded, str) and isinstance(mine, str) and len(recorded) > 8:
                text = text.replace(recorded, mine)
        return text

    def _translate_request(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self._translate_request(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._translate_request(v, key) for v in value]
        if key in REQUEST_ID_KEYS and not isinstance(value, bool):
            return self.ids.get(value, value)
        if isinstance(value, str):
            return self._translate_text(value)
        return value

    def _translate_response(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self._translate_response(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._translate_response(v, key) for v in value]
        if key in TIME_KEYS:
            return _time_marker(value)
        if key in ID_KEYS and not isinstance(value, bool) and value in self.ids:
            return self.ids[value]
        if isinstance(value, str):
            return self._translate_text(value)
        return value


def _time_marker(value: Any) -> str:
    return "<RFC 3339 time>" if isinstance(value, str) and RFC3339_MS.match(value) else f"<bad time {value!r}>"


def _normalise(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, key) for v in value]
    if key in TIME_KEYS:
        return _time_marker(value)
    return value


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def diff(expected: Any, actual: Any, path: str) -> list[str]:
    """Human-readable differences between two JSON values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected.keys() | actual.keys():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                out.append(f"{where}: missing (recorded {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{where}: unexpected {_short(actual[key])}")
            else:
                out += diff(expected[key], actual[key], where)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: recorded {len(expected)} items {_short(expected)}, emulator {len(actual)} {_short(actual)}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out += diff(e, a, f"{path}[{i}]")
        return out
    # 2 and 2.0 are the same JSON number, but true is not 1.
    same_kind = type(expected) is type(actual) or (
        isinstance(expected, (int, float))
        and isinstance(actual, (int, float))
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    )
    if expected != actual or not same_kind:
        return [f"{path}: recorded {_short(expected)}, emulator {_short(actual)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:200] + "..."
