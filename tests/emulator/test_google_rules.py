"""The emulator refuses what Google refuses since 2025, as Google's documentation and the
answers users recorded say (each test names its source; docs/emulator.md lists them):

- a service account owns no Drive storage: creating a file outside a shared drive is
  403 storageQuotaExceeded (gspread issue 1592; "Service Accounts do not have storage
  quota. Leverage shared drives …", n8n issue 26050 quoting the Drive guide);
- shared drives: supportsAllDrives, driveId/corpora/includeItemsFromAllDrives (Drive's
  "Implement shared drive support" guide; the error texts from
  google-api-php-client issue 1825 and pygsheets issue 437);
- permissions.create without a notification for an address with no Google account is
  400 invalidSharingRequest (GAM's wiki; Stack Overflow 72793546);
- OAuth 2.0: the authorization code flow with PKCE and state, refresh, revocation and
  ``invalid_grant`` ("Token has been expired or revoked.") through google-auth's own code.
"""

from __future__ import annotations

import gspread
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account
from google_auth_oauthlib.flow import Flow

from sheets_emulator.client import (
    consent,
    mount,
    oauth_client_config,
    register_oauth_client,
    service_account_info,
)

SA = "svod@district-42.iam.gserviceaccount.com"
ADMIN = "admin@district.example"        # a Google Workspace user: may create shared drives
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
REDIRECT = "http://127.0.0.1:5000/admin/google/callback"


def as_user(emulator, token):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.base = emulator.url
    return session


def create_file(session, name="Книга", parents=None, **params):
    body = {"name": name, "mimeType": SHEET_MIME, **({"parents": parents} if parents else {})}
    return session.post(f"{session.base}/drive/v3/files", params=params, json=body)


def shared_drive(emulator, name="Свод района"):
    admin = as_user(emulator, ADMIN)
    drive = admin.post(f"{emulator.url}/drive/v3/drives", params={"requestId": name}, json={"name": name})
    assert drive.status_code == 200, drive.text
    drive_id = drive.json()["id"]
    member = admin.post(f"{emulator.url}/drive/v3/files/{drive_id}/permissions",
                        params={"supportsAllDrives": "true", "sendNotificationEmail": "false"},
                        json={"type": "user", "role": "fileOrganizer", "emailAddress": SA})
    assert member.status_code == 200, member.text
    return drive_id


# -- a service account owns nothing outside a shared drive ---------------------------------

def test_a_service_account_cannot_create_in_my_drive_nor_in_a_folder_shared_with_it(emulator):
    sa, head = as_user(emulator, SA), as_user(emulator, "head@gmail.com")
    refused = create_file(sa)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["message"].startswith("Service Accounts do not have storage quota. Leverage shared drives")
    assert error["errors"][0]["reason"] == "storageQuotaExceeded"
    assert error["errors"][0]["domain"] == "usageLimits"

    folder = head.post(f"{emulator.url}/drive/v3/files",
                       json={"name": "Svod", "mimeType": "application/vnd.google-apps.folder"}).json()["id"]
    head.post(f"{emulator.url}/drive/v3/files/{folder}/permissions",
              json={"type": "user", "role": "writer", "emailAddress": SA})
    assert create_file(sa, parents=[folder]).status_code == 403   # the folder is still somebody's My Drive

    # the Sheets API's create puts the file in the caller's My Drive: its generic 403
    sheets = sa.post(f"{emulator.url}/v4/spreadsheets", json={"properties": {"title": "x"}})
    assert sheets.status_code == 403 and sheets.json()["error"]["status"] == "PERMISSION_DENIED"
    assert head.post(f"{emulator.url}/v4/spreadsheets", json={"properties": {"title": "x"}}).status_code == 200
    assert not [f for f in emulator.state.files.values() if f.owner == SA]   # nothing half-made


def test_a_service_account_creates_inside_a_shared_drive_and_the_drive_owns_the_file(emulator):
    drive_id = shared_drive(emulator)
    sa = as_user(emulator, SA)
    made = create_file(sa, parents=[drive_id], supportsAllDrives="true", fields="id,driveId,owners,ownedByMe")
    assert made.status_code == 200, made.text
    assert made.json()["driveId"] == drive_id and "owners" not in made.json() and made.json()["ownedByMe"] is False
    file_id = made.json()["id"]
    # Drive acts as if shared drives did not exist without supportsAllDrives
    assert sa.get(f"{emulator.url}/drive/v3/files/{file_id}").status_code == 404
    assert sa.get(f"{emulator.url}/drive/v3/files/{file_id}", params={"supportsAllDrives": "true"}).status_code == 200
    # the Sheets API reaches it as any spreadsheet the account may edit
    assert sa.get(f"{emulator.url}/v4/spreadsheets/{file_id}").status_code == 200


def test_the_legacy_knob_lets_an_old_account_own_files_as_before_2025(emulator):
    emulator.app.update_config({"legacy_storage_accounts": [SA]})
    assert create_file(as_user(emulator, SA)).status_code == 200


# -- shared drives ---------------------------------------------------------------------------

def test_only_a_workspace_user_creates_a_shared_drive_and_members_see_it(emulator):
    refused = as_user(emulator, "head@gmail.com").post(f"{emulator.url}/drive/v3/drives",
                                                       params={"requestId": "r1"}, json={"name": "x"})
    assert refused.status_code == 403
    admin = as_user(emulator, ADMIN)
    assert admin.post(f"{emulator.url}/drive/v3/drives", json={"name": "x"}).status_code == 400  # requestId
    drive_id = shared_drive(emulator)
    assert admin.post(f"{emulator.url}/drive/v3/drives", params={"requestId": "Свод района"},
                      json={"name": "again"}).status_code == 409
    sa = as_user(emulator, SA)
    assert sa.get(f"{emulator.url}/drive/v3/drives").json()["drives"] == [
        {"kind": "drive#drive", "id": drive_id, "name": "Свод района"}]
    assert sa.get(f"{emulator.url}/drive/v3/drives/{drive_id}").json()["name"] == "Свод района"
    assert as_user(emulator, "stranger@gmail.com").get(f"{emulator.url}/drive/v3/drives/{drive_id}").status_code == 404


def test_listing_a_shared_drive_needs_driveid_corpora_and_include_items(emulator):
    drive_id = shared_drive(emulator)
    sa = as_user(emulator, SA)
    in_drive = create_file(sa, "Школа 1", parents=[drive_id], supportsAllDrives="true").json()["id"]
    files = f"{emulator.url}/drive/v3/files"
    both = {"supportsAllDrives": "true", "includeItemsFromAllDrives": "true"}

    lonely = sa.get(files, params={**both, "driveId": drive_id})
    assert lonely.status_code == 400
    assert lonely.json()["error"]["message"] == ("The driveId parameter must be specified if and only if corpora "
                                                 "is set to drive.")
    bare = sa.get(files, params={"supportsAllDrives": "true", "corpora": "drive", "driveId": drive_id})
    assert bare.status_code == 403
    assert bare.json()["error"]["message"].startswith("The includeItemsFromAllDrives parameter must be set to true")

    listed = sa.get(files, params={**both, "corpora": "drive", "driveId": drive_id, "fields": "files(id,driveId)"})
    assert listed.json()["files"] == [{"id": in_drive, "driveId": drive_id}]
    assert sa.get(files).json()["files"] == []   # corpora=user without includeItemsFromAllDrives


# -- sharing without the invitation ------------------------------------------------------------

def test_sharing_without_notification_needs_a_google_account(emulator):
    head = as_user(emulator, "head@gmail.com")
    file_id = create_file(head).json()["id"]
    share = f"{emulator.url}/drive/v3/files/{file_id}/permissions"
    body = {"type": "user", "role": "writer", "emailAddress": "librarian@school.example"}
    refused = head.post(share, params={"sendNotificationEmail": "false"}, json=body)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["errors"][0]["reason"] == "invalidSharingRequest"
    assert ("Since there is no Google account associated with this email address, you must check the "
            '"Notify people" box') in error["message"]
    assert head.post(share, json=body).status_code == 200          # the invitation e-mail goes out
    gmail = {**body, "emailAddress": "librarian@gmail.com"}
    assert head.post(share, params={"sendNotificationEmail": "false"}, json=gmail).status_code == 200
    emulator.app.update_config({"google_accounts": ["@school.example"]})   # a Workspace domain
    other = {**body, "emailAddress": "other@school.example"}
    assert head.post(share, params={"sendNotificationEmail": "false"}, json=other).status_code == 200


# -- OAuth 2.0 through google-auth -------------------------------------------------------------

@pytest.fixture
def oauth_client(emulator, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")   # the emulator speaks plain HTTP
    config = oauth_client_config(emulator.url, "svod.apps.googleusercontent.com", "s3cret", [REDIRECT])
    register_oauth_client(emulator.url, config)
    return config


def connect(config, user="head@gmail.com", scopes=(DRIVE_FILE,)):
    flow = Flow.from_client_config(config, scopes=list(scopes), redirect_uri=REDIRECT,
                                   autogenerate_code_verifier=True)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    assert "code_challenge=" in url and "code_challenge_method=S256" in url and f"state={state}" in url
    back = consent(url, user)
    assert f"state={state}" in back
    flow.fetch_token(authorization_response=back)
    return flow


def test_the_code_flow_gives_a_refresh_token_that_google_auth_refreshes_with(emulator, oauth_client):
    creds = connect(oauth_client).credentials
    assert creds.refresh_token and creds.token.startswith("ya29.")
    gc = gspread.Client(auth=creds)
    assert isinstance(gc.http_client.session, AuthorizedSession)
    mount(gc.http_client.session, emulator.url)
    book = gc.create("Настройки ОМО")
    assert emulator.state.files[book.id].owner == "head@gmail.com"

    emulator.app.control_oauth({"expire_access_tokens": True})
    assert book.sheet1.title == "Sheet1"                                 # 401, refresh, retried
    assert emulator.app.oauth.refreshes == 1


def test_a_revoked_refresh_token_is_invalid_grant(emulator, oauth_client):
    creds = connect(oauth_client).credentials
    emulator.app.control_oauth({"revoke_user": "head@gmail.com"})
    with pytest.raises(RefreshError) as refused:
        creds.refresh(Request())
    assert "invalid_grant" in str(refused.value) and "Token has been expired or revoked." in str(refused.value)
    # the access tokens of a revoked grant stop working too
    assert as_user(emulator, creds.token).get(f"{emulator.url}/drive/v3/files").status_code == 401


def test_a_code_works_once_and_only_with_its_verifier(emulator, oauth_client):
    flow = Flow.from_client_config(oauth_client, scopes=[DRIVE_FILE], redirect_uri=REDIRECT,
                                   autogenerate_code_verifier=True)
    url, _ = flow.authorization_url(access_type="offline")
    code = requests.utils.urlparse(consent(url, "head@gmail.com")).query.split("code=")[1].split("&")[0]
    token = f"{emulator.url}/token"
    form = {"grant_type": "authorization_code", "code": requests.utils.unquote(code), "redirect_uri": REDIRECT,
            "client_id": "svod.apps.googleusercontent.com", "client_secret": "s3cret", "code_verifier": "wrong"}
    assert requests.post(token, data=form).json() == {"error": "invalid_grant",
                                                     "error_description": "Invalid code verifier."}
    assert requests.post(token, data={**form, "code_verifier": flow.code_verifier}).json()["error"] == "invalid_grant"
    bad_secret = requests.post(token, data={**form, "client_secret": "nope"})
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"


def test_drive_file_sees_only_the_apps_own_files_and_scopes_are_checked(emulator, oauth_client):
    hand_made = create_file(as_user(emulator, "head@gmail.com"), "Сделана руками").json()["id"]
    creds = connect(oauth_client).credentials
    api = as_user(emulator, creds.token)
    assert api.get(f"{emulator.url}/v4/spreadsheets/{hand_made}").status_code == 403
    own = api.post(f"{emulator.url}/v4/spreadsheets", json={"properties": {"title": "Свод"}}).json()["spreadsheetId"]
    names = [f["name"] for f in api.get(f"{emulator.url}/drive/v3/files").json()["files"]]
    assert names == ["Свод"]
    assert api.get(f"{emulator.url}/v4/spreadsheets/{own}").status_code == 200

    narrow = as_user(emulator, connect(oauth_client, scopes=["openid"]).credentials.token)
    refused = narrow.get(f"{emulator.url}/drive/v3/files")
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_a_service_account_key_gets_its_token_from_the_emulator(emulator):
    credentials = service_account.Credentials.from_service_account_info(
        service_account_info(emulator.url, SA), scopes=["https://www.googleapis.com/auth/drive"])
    gc = gspread.Client(auth=credentials)
    mount(gc.http_client.session, emulator.url)
    with pytest.raises(gspread.exceptions.APIError) as refused:
        gc.create("x")
    assert refused.value.response.status_code == 403
    assert credentials.token.startswith("ya29.")


def _spreadsheet(api):
    answer = api.post(f"{api.base}/drive/v3/files", json={"name": "Заморозка", "mimeType": SHEET_MIME})
    answer.raise_for_status()
    return answer.json()["id"]


def test_freezing_every_row_or_column_is_refused_like_google(api):
    """Google keeps a row and a column out of the frozen panes (its message as
    node-google-spreadsheet issue 528 quotes it); frozen key columns beside rows are fine."""
    spreadsheet = _spreadsheet(api)

    def add(title, **grid):
        return api.post(f"{api.base}/v4/spreadsheets/{spreadsheet}:batchUpdate", json={"requests": [
            {"addSheet": {"properties": {"title": title, "gridProperties": {"rowCount": 3, "columnCount": 3, **grid}}}}]})

    answer = add("Все строки", frozenRowCount=3)
    assert answer.status_code == 400
    assert "You can't freeze all visible rows on the sheet." in answer.json()["error"]["message"]
    answer = add("Все столбцы", frozenColumnCount=3)
    assert answer.status_code == 400 and "freeze all visible columns" in answer.json()["error"]["message"]
    assert add("Шапка и ключи", frozenRowCount=1, frozenColumnCount=2).status_code == 200
    sheets = api.get(f"{api.base}/v4/spreadsheets/{spreadsheet}").json()["sheets"]
    grid = next(s["properties"]["gridProperties"] for s in sheets if s["properties"]["title"] == "Шапка и ключи")
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 2)
