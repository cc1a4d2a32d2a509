"""The pages people use, in a real browser: Debian's Chromium driven by Playwright.

A demo district is generated in a temporary folder (``svod demo-data``), synced
(``svod sync``) and served by the real app (``svod serve`` on a free port). The test
reads the status matrix, filters it, copies the debtors' list, opens a school by
clicking, reads the plan, signs in as the head and runs «Обновить сейчас», at a laptop's
width (1366×768: every collection's column on the screen) and at a phone's (390×844: the
matrix as one card per school). Screenshots go to ``tests/browser/screenshots/``
(git-ignored); their paths are printed. With ``SVOD_SCREENSHOTS=docs/images`` the test also
writes the pictures README and docs/web.md show (the status page at 1366 px and on a phone,
a school's page), a screen's height each, over the files committed there.

Skipped only when /usr/bin/chromium is absent outside CI; in CI that is a failure.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ROOT = Path(__file__).resolve().parents[2]
# Where the documentation's pictures are written, when asked (relative to the checkout).
DOCS_IMAGES = ROOT / os.environ["SVOD_SCREENSHOTS"] if os.environ.get("SVOD_SCREENSHOTS") else None
SCHOOLS = 12
PASSWORD = "head-password-2026"
DESKTOP = {"width": 1366, "height": 768}   # the common laptop
PHONE = {"width": 390, "height": 844}

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: install Debian's chromium (`make chromium`)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or `make chromium`); "
                "the browser test needs Debian's Chromium", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def svod(env: dict, *args: str, timeout: float = 60) -> str:
    done = subprocess.run([sys.executable, "-m", "sync_service", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"svod {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The folder and environment of the demo district the server serves."""
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = {**os.environ, "SVOD_BACKEND": "xlsx", "SVOD_WORKBOOKS_DIR": str(folder / "district"),
           "DATABASE_URL": f"sqlite:///{folder / 'svod.db'}", "SVOD_LOCK_FILE": str(folder / "sync.lock"),
           "SVOD_EXPORT_DIR": str(folder / "exports"), "SVOD_SECRET_KEY": "browser-test-secret",
           "SVOD_ADMIN_PASSWORD_HASH": generate_password_hash(PASSWORD), "SVOD_HOST": "127.0.0.1",
           "PORT": str(port), "SVOD_PUBLIC_URL": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
    svod(env, "demo-data", "--schools", str(SCHOOLS), "--out", env["SVOD_WORKBOOKS_DIR"])
    svod(env, "sync", "--quiet")
    return folder, env


@pytest.fixture(scope="module")
def server(district):
    """The base URL of the real app serving a freshly generated and synced demo district."""
    folder, env = district
    log = open(folder / "serve.log", "w")  # noqa: SIM115 — the server's log, open while it runs
    process = subprocess.Popen([sys.executable, "-m", "sync_service", "serve"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    # «Обновить сейчас» is run by the clock, a process of its own, as in production
    clock = subprocess.Popen([sys.executable, "-m", "jobs", "clock", "--no-sync-at-start"], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if get_json(f"{base}/healthz")["status"] == "ok":
                    break
            except OSError:
                pass
            assert process.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not answer /healthz in 20 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        clock.terminate()
        process.wait(timeout=10)
        clock.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page that records console errors and any request leaving the app."""

    def __init__(self, browser, base: str, viewport: dict, name: str):
        self.context = browser.new_context(viewport=viewport, locale="ru-RU", is_mobile=viewport is PHONE,
                                           has_touch=viewport is PHONE)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        self.page = self.context.new_page()
        self.base, self.name, self.errors, self.outside = base, name, [], []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: request.url.startswith(base) or self.outside.append(request.url))
        self.page.on("response", lambda response: response.status < 400 or response.url.endswith("/admin/") or
                     self.errors.append(f"{response.status} {response.url}"))

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, path
        # Every page is served under the strict policy (no inline script or style): a
        # script or style it refused would be a console error, which fails the test.
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        return self.page

    def shot(self, label: str, *, docs: str | None = None, top: str | None = None) -> Path:
        """A full-page screenshot for the reviewer; with ``docs`` (a file name) and
        SVOD_SCREENSHOTS set, also the documentation's picture: what the screen shows, with
        the element ``top`` (a CSS selector) scrolled to its top."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        if docs and DOCS_IMAGES is not None:
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            if top:
                self.page.locator(top).first.evaluate("element => element.scrollIntoView({block: 'start'})")
            self.page.screenshot(path=str(DOCS_IMAGES / docs))
            self.page.evaluate("window.scrollTo(0, 0)")
            print(f"screenshot for the docs: {DOCS_IMAGES / docs}")
        return path

    def fits_the_width(self) -> bool:
        """Nothing but the matrix's own scroller is wider than the screen."""
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    def close(self):
        self.context.close()
        assert self.errors == [], f"console errors on {self.name}: {self.errors}"
        assert self.outside == [], f"requests outside the app: {self.outside}"


def check_matrix(page, report: dict) -> None:
    schools, collections = report["schools"], report["collections"]
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == len(schools) > 0
    assert page.locator("table.matrix tbody th.school-col a").all_inner_texts() == [s["name"] for s in schools]
    assert page.locator("table.matrix thead tr.names th").count() == len(collections)
    for i in range(rows.count()):
        assert rows.nth(i).locator("td[data-status]").count() == len(collections)
    statuses = {cell["status"] for cell in report["submissions"]}
    assert {page.locator(f'td[data-status="{s}"]').first.get_attribute("data-status") for s in statuses} == statuses
    legend = page.locator("ul.legend li")
    assert legend.count() == 11 and "просрочен" in legend.all_inner_texts()[-6]
    assert legend.all_inner_texts()[-5].endswith("нет данных: книга не читается")
    assert legend.all_inner_texts()[-1].endswith("возвращён на доработку")


def every_collection_in_view(page, report: dict) -> None:
    """At 1366 px every collection's column is on the screen: its header and its cells
    inside the viewport, and the matrix does not scroll sideways."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.locator(".matrix-wrap").evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")
    first_row = page.locator("table.matrix tbody tr").first
    for i, collection in enumerate(report["collections"]):
        header = page.locator(f'table.matrix thead th[data-collection="{collection["key"]}"]').bounding_box()
        cell = first_row.locator("td").nth(i).bounding_box()
        for box in (header, cell):
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (collection["key"], box, width)
    assert page.locator("table.matrix thead tr.names th").count() == len(report["collections"]) == 13


def per_school_cards(page, report: dict) -> None:
    """At 390 px the matrix is a list of schools: no header row, each school a block as wide as
    the screen with its name first and every collection's status labelled inside it."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert not page.locator("table.matrix thead").is_visible()
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == len(report["schools"])
    row = rows.first.bounding_box()
    name = rows.first.locator("th.school-col").bounding_box()
    assert row["x"] >= 0 and row["x"] + row["width"] <= width and name["width"] > 0.8 * row["width"]
    cells = rows.first.locator("td[data-label]")
    assert cells.count() == len(report["collections"])
    label = cells.first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"') == report["collections"][0]["tab"].rpartition(" — ")[2]
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert row["y"] <= box["y"] and box["x"] + box["width"] <= width
    assert page.locator(".matrix-wrap").evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")


def test_the_pages_in_a_browser(server, browser):
    report = get_json(f"{server}/api/status")
    assert report["overdue"], "the demo district should have overdue reports"
    names = {s["code"]: s["name"] for s in report["schools"]}

    desk = Watched(browser, server, DESKTOP, "desktop")
    page = desk.open("/")
    check_matrix(page, report)
    every_collection_in_view(page, report)
    assert desk.fits_the_width(), "the status page scrolls sideways at 1366 px"
    # A cell's tooltip is its aria-label (drawn by svod.css on hover), and it widens nothing.
    last = page.locator("table.matrix tbody tr").first.locator("td a.st").last
    last.hover()
    tip = last.evaluate("a => getComputedStyle(a, '::after').content")
    assert tip.strip('"') == last.get_attribute("aria-label") and ": " in tip
    assert desk.fits_the_width() and page.locator(".matrix-wrap").evaluate("w => w.scrollWidth <= w.clientWidth")
    page.mouse.move(0, 0)
    overdue = page.locator("table.overdue tbody tr")
    assert overdue.count() == len(report["overdue"])
    assert overdue.first.locator("td").nth(0).inner_text() == report["overdue"][0]["school_name"]
    assert page.locator("figure.multiple svg[role=img]").count() == len(report["collections"])
    desk.shot("status", docs="status-1366.png", top="form:has(select[name=collection])")

    # The debtors' list: the button copies the textarea's text (the clipboard is granted).
    text = page.locator("#debtors-text").input_value()
    assert text.startswith("Должники на ") and text.count("\n— ") >= 1
    page.get_by_role("button", name="Скопировать список должников").click()
    page.get_by_text("Скопировано.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == text

    # «Не сдали» of a collection not yet due: the list to remind the schools early, copied.
    ahead = next(c for c in report["collections"] if c["deadline"] and c["deadline"] > report["generated_at"][:10])
    page.select_option("select[name=collection]", ahead["key"])
    page.wait_for_url(f"**/?*collection={ahead['key']}*")
    listed = page.locator("#not-submitted-text").input_value()
    assert listed.startswith(f"Не сдали «{ahead['title']}»") and listed.count("\n— ") == ahead["not_submitted"] > 0
    page.get_by_role("button", name="Скопировать список «не сдали»").click()
    page.get_by_text("Скопировано.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == listed
    page.get_by_role("link", name="Показать все").click()

    # The filters: choosing a status submits the form (static/svod.js); the URL keeps it.
    page.select_option("select[name=status]", "overdue")
    page.wait_for_url("**/?*status=overdue*")
    shown = page.locator("table.matrix tbody tr")
    assert 0 < shown.count() <= len(names)
    for i in range(shown.count()):
        assert shown.nth(i).locator('td[data-status="overdue"]').count() >= 1
    desk.shot("status-overdue")
    page.get_by_role("link", name="Показать все").click()
    assert page.locator("table.matrix tbody tr").count() == len(names)

    # A school page by clicking its name in the matrix.
    first = report["schools"][0]
    page.locator("table.matrix tbody th.school-col a", has_text=first["name"]).click()
    page.wait_for_url(f"**/school/{first['code']}")
    assert page.locator("h1").inner_text() == first["name"]
    assert page.locator("table.list").first.locator("tbody tr").count() == len(report["collections"])
    desk.shot("school", docs="school-1366.png")

    collection = report["collections"][0]
    page = desk.open(f"/collection/{collection['key']}")
    assert page.locator("svg.rate-chart[role=img] > title").text_content().startswith("Доля сдавших")
    desk.shot("collection")
    page = desk.open("/plan")
    assert page.locator(".calendar section.month").count() == 12
    assert page.locator("#today").count() == 1
    desk.shot("plan")

    # The head signs in and runs a sync from the admin page.
    runs_before = get_json(f"{server}/api/status")["last_sync"]["id"]
    page.goto(f"{server}/admin/")
    page.wait_for_url("**/login**")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r".*/admin/?$"))
    desk.shot("admin")
    page.get_by_role("button", name="Обновить сейчас").click()
    page.get_by_text("Синхронизация запрошена").first.wait_for()
    deadline = time.monotonic() + 30
    while True:
        last = get_json(f"{server}/api/status")["last_sync"]
        if last["id"] > runs_before and last["status"] != "running":
            break
        assert time.monotonic() < deadline, f"the sync from the admin page did not finish: {last}"
        time.sleep(0.3)
    assert (last["trigger"], last["status"]) == ("web", "ok")
    page.locator("#sync-progress").wait_for(state="hidden")  # the page followed the run and reloaded
    page.goto(f"{server}/admin/")
    desk.shot("admin-after-sync")
    desk.close()

    phone = Watched(browser, server, PHONE, "phone")
    for path, label in (("/", "status"), (f"/school/{first['code']}", "school"),
                        (f"/collection/{collection['key']}", "collection"), ("/plan", "plan"),
                        ("/admin/login", "login")):
        phone.open(path)
        assert phone.fits_the_width(), f"{path} is wider than the phone's screen"
        phone.shot(label)
    # The matrix is a list of schools, each a card with its collections' statuses.
    page = phone.open("/")
    per_school_cards(page, report)
    phone.shot("status-list", docs="status-phone.png", top="table.matrix")
    phone.close()


# --- the head's review, round trip -----------------------------------------------------------

def school_book(folder: Path, code: str) -> Path:
    return next((folder / "district").glob(f"{code} *.xlsx"))


def type_fund(folder: Path, code: str, fund_total: int) -> None:
    """The librarian fills «Фонд» (a record form) with valid figures, «Фонд всего» = ``fund_total``,
    and ticks «Готово», as Excel would save it."""
    import openpyxl

    from sync_service.forms.layout import FIRST_DATA_ROW
    from tests.factory import shipped_schema
    from tests.integration.district import GOOD

    form = shipped_schema().forms["library_fund"]
    values = {**GOOD["library_fund"], "fund_total": fund_total}
    path = school_book(folder, code)
    book = openpyxl.load_workbook(path)
    sheet = book[form.tab]
    sheet["B2"] = "да"
    for offset, column in enumerate(form.columns):
        sheet[f"B{FIRST_DATA_ROW + offset}"] = values.get(column.key)
    book.save(path)


def check_tab(folder: Path, code: str) -> list[str]:
    import openpyxl

    sheet = openpyxl.load_workbook(school_book(folder, code))["Проверка"]
    return [" | ".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]


def test_the_heads_review_round_trip(district, server, browser):
    """Return with a comment → after a sync the comment is in «Проверка» → the school fixes
    and ticks «Готово» → sync → accept → the school changes a value → sync → «изменено после
    принятия» flagged. The syncs are the real ones (``svod sync``): the web never syncs."""
    folder, env = district
    code = get_json(f"{server}/api/status")["schools"][-1]["code"]
    type_fund(folder, code, 12000)
    svod(env, "sync", "--quiet")

    head = Watched(browser, server, DESKTOP, "review")
    page = head.page
    page.goto(f"{server}/admin/school/{code}")
    page.wait_for_url("**/login**")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"**/admin/school/{code}")
    section = page.locator("section#c-library_fund")
    assert "сдан" in section.locator(".st").first.inner_text()
    section.locator("textarea[name=comment]").fill("Фонд всего не сходится с отчётом о работе: проверьте")
    section.get_by_role("button", name="Вернуть на доработку").click()
    page.get_by_text("Отчёт возвращён на доработку.").wait_for()
    section = page.locator("section#c-library_fund")
    assert section.locator(".st-sent_back").count() == 1
    head.shot("review-returned")

    svod(env, "sync", "--quiet")
    lines = check_tab(folder, code)
    top = lines.index("Проверка руководителя ОМО")
    assert any("возвращён на доработку | Фонд всего не сходится" in line for line in lines[top:top + 4])

    type_fund(folder, code, 12500)  # the school fixes it and ticks «Готово» again
    svod(env, "sync", "--quiet")
    page.goto(f"{server}/admin/school/{code}")
    section = page.locator("section#c-library_fund")
    assert section.locator(".st-submitted, .st-submitted_late").count() == 1
    section.locator("textarea[name=comment]").fill("Спасибо, принято")
    section.get_by_role("button", name="Принять").click()
    page.get_by_text("Отчёт принят.").wait_for()
    assert page.locator("section#c-library_fund .st-accepted, section#c-library_fund .st-accepted_late").count() == 1

    type_fund(folder, code, 13000)  # a change after the acceptance
    svod(env, "sync", "--quiet")
    assert any("стало «13000»" in line for line in check_tab(folder, code))
    page.goto(f"{server}/admin/school/{code}")
    section = page.locator("section#c-library_fund")
    assert section.locator(".st-changed").count() == 1
    assert "было «12500», стало «13000»" in section.locator("ul.changes").inner_text()
    head.shot("review-changed")
    page = head.open(f"/school/{code}")
    assert page.locator("#c-library_fund .st-changed").count() == 1
    assert get_json(f"{server}/api/status?collection=library_fund")["collections"][0]["counts"]["changed"] >= 1
    head.close()
