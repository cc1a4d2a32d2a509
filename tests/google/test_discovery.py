"""Every request Svod sends is one Google describes: checked against the discovery documents
google-api-python-client ships (``sheets.v4.json``, ``drive.v3.json``) — the method and path,
each query parameter, and every field of the JSON body, recursively — for a provision and a
sync of a service account in a shared drive and of the head's own account.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import googleapiclient
import pytest

from sync_service.provision.google import provision
from sync_service.sync.run import run_sync
from tests.google.conftest import librarian, svod_for
from tests.google.test_oauth import make_head_workbook
from tests.google.test_provision import ADMIN, SA, hand_made_district, service_account_key

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
# Parameters every Google API takes (the discovery documents list them once, at the top).
SYSTEM = {"fields", "prettyPrint", "alt", "key", "quotaUser", "access_token", "callback", "upload_protocol",
          "uploadType", "$.xgafv", "oauth_token", "userIp"}


def load(name: str) -> tuple[str, dict, list[tuple[str, re.Pattern, dict]]]:
    document = json.loads((DOCUMENTS / name).read_text(encoding="utf-8"))
    methods = []

    def walk(resource):
        for method in (resource.get("methods") or {}).values():
            path = method.get("flatPath") or method["path"]
            pattern = re.sub(r"\{\+?[^}]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
            methods.append((method["httpMethod"], re.compile(pattern + r"\Z"), method))
        for child in (resource.get("resources") or {}).values():
            walk(child)
    walk(document)
    return document["servicePath"], document["schemas"], methods


SHEETS, DRIVE = load("sheets.v4.json"), load("drive.v3.json")


def problems_of(method: str, url: str, params: dict, body: bytes | None) -> list[str]:
    parts = urlsplit(url)
    service_path, schemas, methods = SHEETS if parts.netloc == "sheets.googleapis.com" else DRIVE
    path = parts.path.lstrip("/")
    assert path.startswith(service_path), url
    path = path[len(service_path):]
    found = [m for verb, pattern, m in methods if verb == method and pattern.match(path)]
    if not found:
        return [f"{method} {path}: no such method"]
    described = found[0]
    out = [f"{described['id']}: unknown parameter {name}" for name in params
           if name not in SYSTEM and name not in (described.get("parameters") or {})]
    if body:
        request = described.get("request")
        if request is None:
            out.append(f"{described['id']}: takes no body")
        else:
            out += check(json.loads(body), {"$ref": request["$ref"]}, schemas, described["id"])
    return out


def check(value, schema: dict, schemas: dict, where: str) -> list[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties")
            return [p for k, v in value.items() for p in (check(v, extra, schemas, f"{where}.{k}") if extra else [])]
        out = []
        for key, item in value.items():
            if key not in properties:
                out.append(f"{where}: unknown field {key}")
            else:
                out += check(item, properties[key], schemas, f"{where}.{key}")
        return out
    if kind == "array" and isinstance(value, list):
        return [p for i, item in enumerate(value) for p in check(item, schema["items"], schemas, f"{where}[{i}]")]
    if kind in ("object", "array"):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    return []


def recorded(store) -> list[tuple]:
    """Every request the store's HTTP client sends, kept as sent."""
    sent: list[tuple] = []
    http = store.api.http
    original = http.request

    def request(method, url, params=None, data=None, headers=None, **kwargs):
        sent.append((method, url, dict(params or {}), data))
        return original(method, url, params=params, data=data, headers=headers, **kwargs)
    http.request = request
    return sent


def test_the_unit_checker_catches_an_unknown_field_and_parameter():
    assert problems_of("POST", "https://sheets.googleapis.com/v4/spreadsheets/x:batchUpdate", {},
                       b'{"requests":[{"addSheet":{"properties":{"titel":"x"}}}]}')
    assert problems_of("GET", "https://www.googleapis.com/drive/v3/files", {"corpus": "drive", "nope": 1}, None)
    assert not problems_of("GET", "https://www.googleapis.com/drive/v3/files", {"corpora": "drive"}, None)


@pytest.mark.parametrize("who", ["service account in a shared drive", "the head's own account"])
def test_every_request_of_a_provision_and_a_sync_is_described_by_google(emu, tmp_path, who):
    overrides: dict = {}
    if who.startswith("service"):
        head, _ = hand_made_district(emu, svod_for(emu, tmp_path).schema, with_schools=False)
        admin = librarian(emu, ADMIN).http_client.session
        drive = admin.post(f"{emu.url}/drive/v3/drives", params={"requestId": "d"}, json={"name": "Svod"}).json()["id"]
        admin.post(f"{emu.url}/drive/v3/files/{drive}/permissions", params={"supportsAllDrives": "true"},
                   json={"type": "user", "role": "fileOrganizer", "emailAddress": SA})
        overrides.update(google_credentials=service_account_key(emu, tmp_path), google_drive_id=drive)
    else:
        head = make_head_workbook(svod_for(emu, tmp_path))
    svod = svod_for(emu, tmp_path, head_spreadsheet_id=head, **overrides)
    sent = recorded(svod.store)
    report = provision(svod, notify=True)
    assert report.created and not report.problems, report.lines()
    syncing = svod_for(emu, tmp_path, head_spreadsheet_id=head, consolidated_spreadsheet_id=report.consolidated_id,
                       **overrides)
    synced = recorded(syncing.store)
    assert run_sync(syncing).status == "ok"
    assert synced
    sent = sent + synced
    names = {urlsplit(url).path.rsplit("/", 1)[-1] for _, url, _, _ in sent}
    assert len(sent) > 10 and names, sent
    problems = [p for method, url, params, body in sent for p in problems_of(method, url, params, body)]
    assert not problems, problems
