"""Web benchmark: the status page against /healthz under load, with wrk and gunicorn.

    .venv/bin/python bench/web_bench.py [--schools 3000] [--findings 200000] [--duration 10] [--rounds 3]

1. Builds a district of ``--schools`` schools in a fresh SQLite database under
   ``bench/out/web/`` by inserting rows directly (seconds, not the minutes the demo
   generator + a sync take; the web only reads the database, so the rows are all it
   needs): the thirteen collections of the demo plan, a submission per school ×
   collection with every status, findings, read errors, 40 sync runs with rate
   snapshots, the plan's events — and one hostile school (``sch001``) with
   ``--findings`` findings in its order tab, as 100 000 broken order lines give.
2. Does what the clock does after every sync: keeps the status page's district-wide part
   and publishes the unfiltered status page (``web.publish.publish_status``, timed).
3. Times each page in-process (Flask's test client) without the page cache
   (``SVOD_PAGE_CACHE=False``), as the target asks: its size (raw and gzipped), the first
   request, the median and the best of the next seven; ``/ (live)`` is the status page
   rendered on the request, as a filtered view or a page not yet published is.
4. Starts ``gunicorn -w 2 --threads 4`` on a free local port, runs ``wrk`` with 20
   connections for ``--rounds`` rounds of ``--duration`` seconds against ``/`` and then
   ``/healthz`` (the floor: one ``SELECT 1``), alternating (a Lua ``done`` hook reports
   p50, p95 and p99), for three apps side by side: the published page without the page
   cache (what the target is about), the page rendered live on every request (no page
   cache, nothing published), and the page cache on (the default).
5. Prints the figures, medians beside bests. The targets (issue 16): the status page
   under 300 KB and its p95 within 3 × that of /healthz without the page cache; every
   answer under 2 MB; no errors (socket errors, non-2xx answers, timeouts). Exit 1 when
   one is missed.

Needs ``wrk`` (Debian: ``apt-get install wrk``; ``make wrk``). Not part of ``make test``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from sync_service import db as m  # noqa: E402
from sync_service.district.registry import academic_year_of  # noqa: E402

OUT = ROOT / "bench" / "out" / "web"
# key, form, tab, title, (month, day) of the deadline or None, campaign — the demo plan
COLLECTIONS = [
    ("staffing", "staffing", "Кадры", "Мониторинг кадрового обеспечения школьной библиотеки", (9, 30), None),
    ("textbook_provision", "textbook_provision", "Обеспеченность", "Мониторинг обеспеченности обучающихся учебниками",
     (9, 30), None),
    ("umk", "umk", "УМК", "Мониторинг основных УМК", (9, 30), None),
    ("event_report.month", "event_report", "Мероприятия — Месячник",
     "Отчёт о мероприятиях: Международный месячник школьных библиотек", (10, 31), "month"),
    ("library_fund", "library_fund", "Фонд", "Мониторинг библиотечного фонда", (11, 30), None),
    ("event_report.book_giving", "event_report", "Мероприятия — День дарения",
     "Отчёт о мероприятиях: Международный день дарения книг", (2, 28), "book_giving"),
    ("textbook_order", "textbook_order", "Заказ учебников", "Заказ учебников на следующий учебный год", (2, 28), None),
    ("event_report.book_week", "event_report", "Мероприятия — Неделя книги",
     "Отчёт о мероприятиях: Неделя детской книги", (3, 31), "book_week"),
    ("contest_results", "contest_results", "Конкурсы", "Итоги конкурсов", (4, 30), None),
    ("event_report.book_day", "event_report", "Мероприятия — День книги",
     "Отчёт о мероприятиях: Международный день детской книги", (4, 30), "book_day"),
    ("annual_report", "annual_report", "Годовой отчёт", "Отчёт о работе школьной библиотеки за учебный год",
     (6, 30), None),
    ("work_plan", "work_plan", "План работы", "План работы школьной библиотеки на учебный год", (8, 31), None),
    ("textbook_exchange", "textbook_exchange", "Обмен учебниками", "Взаимообмен учебниками — излишки и потребность",
     None, None),
]
KINDS = ["МБОУ СОШ №", "МБОУ «Гимназия №", "МБОУ «Лицей №", "МКОУ ООШ №", "МБОУ «Центр образования №"]


def say(text: str) -> None:
    print(text, flush=True)


# --- the district ------------------------------------------------------------------------

def build_district(url: str, schools: int, today: date, *, findings: int = 0, seed: int = 1) -> str:
    """A district of ``schools`` schools in the database at ``url``; returns the academic year."""
    rng = random.Random(seed)
    year = academic_year_of(today)
    first = int(year[:4])
    database = m.Database(url)
    database.upgrade()
    started = time.monotonic()
    with database.session() as session:
        rows = [m.School(code=f"sch{i:04d}", workbook=f"sch{i:04d}.xlsx", librarian=f"Библиотекарь {i}",
                         name=f"{KINDS[i % len(KINDS)]}{i}" + ("»" if "«" in KINDS[i % len(KINDS)] else ""))
                for i in range(1, schools + 1)]
        session.add_all(rows)
        collections = []
        for position, (key, form, tab, title, when, campaign) in enumerate(COLLECTIONS):
            deadline = date(first + (when[0] < 9), *when) if when else None
            collections.append(m.Collection(key=key, form=form, tab=tab, title=title, deadline=deadline,
                                            campaign=campaign, position=position, academic_year=year))
        session.add_all(collections)
        runs = [m.SyncRun(started_at=datetime(first, 9, 1, 8) + timedelta(days=2 * i),
                          finished_at=datetime(first, 9, 1, 8, 1) + timedelta(days=2 * i), status="ok",
                          trigger="clock", schools_total=schools, schools_read=schools // 10,
                          schools_unchanged=schools - schools // 10) for i in range(40)]
        runs.append(m.SyncRun(started_at=datetime.combine(today, datetime.min.time()), status="partial",
                              finished_at=datetime.combine(today, datetime.min.time()) + timedelta(minutes=3),
                              trigger="clock", schools_total=schools, schools_read=schools - 5, schools_failed=5))
        session.add_all(runs)
        session.flush()
        now = datetime.combine(today, datetime.min.time())
        submissions, records = [], []
        for school in rows:
            for collection in collections:
                roll = rng.random()
                ready, errors, has_data, first_at = roll < 0.55, 0, roll < 0.8, None
                if ready and rng.random() < 0.15:
                    errors = rng.randint(1, 6)
                elif ready:
                    due = collection.deadline or today
                    first_at = min(now, datetime.combine(due, datetime.min.time()) + timedelta(
                        days=rng.randint(-20, 10)))
                submissions.append(dict(school_id=school.id, collection_id=collection.id, ready=ready, errors=errors,
                                        warnings=rng.randint(0, 2), has_data=has_data, first_submitted_at=first_at,
                                        version=0, changed_at=now - timedelta(days=rng.randint(0, 60))))
                records += [_finding(school, collection, 5 + n) for n in range(errors)]
        hostile = next(c for c in collections if c.key == "textbook_order")
        records += [_finding(rows[0], hostile, 5 + n // 2, fpu=n % 2 == 0) for n in range(findings)]
        session.execute(insert(m.Submission), submissions)
        for chunk in range(0, len(records), 50_000):
            session.execute(insert(m.FindingRecord), records[chunk:chunk + 50_000])
        for school in rows[:5]:
            session.add(m.WorkbookState(school_id=school.id, workbook_id=school.workbook, error="файл повреждён",
                                        error_at=runs[-1].started_at))
            session.add(m.SyncOutcome(run_id=runs[-1].id, school_id=school.id, outcome="failed",
                                      error="файл повреждён"))
        for collection in collections:
            rate = 0.0
            for run in runs[:-1]:
                rate = min(100.0, rate + rng.choice([0, 0, 1.2, 2.4, 3.6]))
                session.add(m.RateSnapshot(run_id=run.id, collection_id=collection.id, at=run.started_at,
                                           expected=schools, reporting_rate=round(rate, 1),
                                           on_time_rate=round(rate * 0.7, 1)))
        for month, title in ((9, "Заседание ОМО № 1"), (10, "Месячник школьных библиотек"),
                             (11, "Семинар-практикум"), (1, "Совещание о заказе учебников"), (3, "Заседание № 3")):
            session.add(m.PlanEvent(academic_year=year, title=title, date=date(first + (month < 9), month, 15)))
    database.dispose()
    say(f"district: {schools} schools × {len(COLLECTIONS)} collections, {len(runs)} sync runs, "
        f"{len(records)} findings ({findings} in sch0001's order tab) in {time.monotonic() - started:.1f} s")
    return year


def _finding(school, collection, row: int, fpu: bool = False) -> dict:
    column, key, code = ("Код ФПУ", "fpu_code", "fpu-unknown") if fpu else ("Количество", "count", "range")
    return dict(school_id=school.id, collection_id=collection.id, code=code, severity="error", form=collection.form,
                sheet=collection.tab, row=row, column=column, column_key=key, address=f"C{row}",
                message="Значение вне допустимых границ", hint="Проверьте значение.")


# --- in-process timings ----------------------------------------------------------------------

PAGES = ("/", "/?page=60", "/?status=overdue", "/debtors.txt", "/plan", "/school/sch0002", "/school/sch0001",
         "/school/sch0001/findings?collection=textbook_order&column=count&finding=range&page=500",
         "/collection/staffing", "/api/status", "/api/school/sch0001", "/api/collection/staffing", "/api/rates",
         "/healthz")


def time_in_process(url: str, repeats: int = 7) -> dict:
    """Each page through Flask's test client without the page cache: size, first, median, best."""
    os.environ.update(DATABASE_URL=url, SVOD_SECRET_KEY="bench", SVOD_LOCK_FILE=str(OUT / "sync.lock"))
    from web import create_app

    app = create_app({"SVOD_PAGE_CACHE": False})
    live = create_app({"SVOD_PAGE_CACHE": False, "SVOD_PUBLISHED": False, "SVOD": app.extensions["svod"]})
    # What the clock's sync leaves after every run: the status page's district-wide part
    # (counts, rates, the first overdue and debtors), which the page reads in one query,
    # and the unfiltered status page, published.
    from sync_service.sync.run import keep_status_overview
    from web.publish import publish_status

    started = time.perf_counter()
    keep_status_overview(app.extensions["svod"])
    kept = time.perf_counter()
    pages = publish_status(app.extensions["svod"])
    say(f"  the clock's part after a sync: district part {kept - started:.2f} s, {pages} status pages published "
        f"in {time.perf_counter() - kept:.2f} s")
    sizes = {}
    say(f"  {'URL':<34} {'KiB':>7} {'gzip KiB':>9} {'first ms':>9} {'median ms':>10} {'best ms':>8}")
    for client, path in [(app.test_client(), path) for path in PAGES] + [(live.test_client(), "/ (live)")]:
        timings = []
        for _ in range(repeats + 1):
            started = time.perf_counter()
            response = client.get(path.removesuffix(" (live)"))
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        sizes[path] = len(response.data)
        say(f"  {path[:34]:<34} {len(response.data) / 1024:7.0f} {len(gzip.compress(response.data)) / 1024:9.1f} "
            f"{timings[0]:9.1f} {median(timings[1:]):10.1f} {min(timings[1:]):8.1f}")
    app.extensions["svod"].db.dispose()
    return sizes


# --- gunicorn and wrk ---------------------------------------------------------------------------

LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, log: Path, *, config: dict) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SVOD_LOCK_FILE": str(OUT / "sync.lock"),
           "SVOD_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                                f"web:create_app({config!r})"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def drain(base: str, seconds: float = 120) -> None:
    """Wait until the server has worked off what the last run left queued: /healthz
    answering within 50 ms three times in a row (else the next URL's figures would
    include the previous one's backlog)."""
    deadline, fast = time.monotonic() + seconds, 0
    while fast < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
            response.read()
        fast = fast + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.2)


def wrk(url: str, *, connections: int, seconds: int, script: Path) -> dict:
    done = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--findings", type=int, default=200_000, help="findings of the hostile school")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)", file=sys.stderr)
        return 2

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    url = f"sqlite:///{OUT / 'svod.db'}"
    today = datetime.now().date()
    build_district(url, args.schools, today, findings=args.findings)
    say("in-process, without the page cache (Flask test client):")
    sizes = time_in_process(url)

    figures = {name: load(url, args, name=name, config=config) for name, config in APPS.items()}
    page_kb, largest = sizes["/"] / 1024, max(sizes.items(), key=lambda item: item[1])
    errors = sum(r["errors"] for results in figures.values() for runs in results.values() for r in runs)
    verdicts = []
    for name, results in figures.items():
        ratios = [page["p95_us"] / max(1, health["p95_us"]) for page, health in zip(results["/"], results["/healthz"])]
        verdict = median(ratios) <= 3
        if name == TARGET:
            verdicts.append(verdict)
        say(f"{name:<38}: status page p95 = {median(ratios):5.2f} × /healthz p95 (best {min(ratios):.2f}; "
            f"target ≤ 3{'' if name == TARGET else ', for comparison'}) — {'OK' if verdict else 'over 3'}")
    ok = all(verdicts) and page_kb < 300 and largest[1] < 2 * 1024 * 1024 and errors == 0
    say(f"status page {page_kb:.0f} KiB (target < 300); largest answer {largest[0]} {largest[1] / 1024:.0f} KiB "
        f"(target < 2 MiB); errors: {errors} (target 0) — {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


TARGET = "published, no page cache"
APPS = {TARGET: {"SVOD_PAGE_CACHE": False},
        "rendered on every request, no page cache": {"SVOD_PAGE_CACHE": False, "SVOD_PUBLISHED": False},
        "page cache on (the default)": {}}


def load(url: str, args, *, name: str, config: dict) -> dict[str, list[dict]]:
    """wrk against / and /healthz of gunicorn serving the app made with ``config``."""
    port = free_port()
    process = start_gunicorn(url, port, OUT / "gunicorn.log", config=config)
    results: dict[str, list[dict]] = {"/": [], "/healthz": []}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        for round_ in range(args.rounds):
            for path in results:
                say(f"wrk round {round_ + 1}, {name}: {args.connections} "
                    f"connections, {args.duration} s, {path} …")
                drain(f"http://127.0.0.1:{port}")
                results[path].append(wrk(f"http://127.0.0.1:{port}{path}", connections=args.connections,
                                         seconds=args.duration, script=Path(script.name)))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        os.unlink(script.name)

    say(f"\ngunicorn -w 2 --threads 4, {name}, {args.schools} schools, "
        f"wrk -c {args.connections} -d {args.duration}s × {args.rounds} rounds: median (best)")
    say(f"{'URL':<10} {'req/s':>16} {'p50 ms':>16} {'p95 ms':>16} {'p99 ms':>16} {'errors':>7}")

    def cell(runs, key, scale=1000, best=min):
        values = [r[key] / scale for r in runs]
        return f"{median(values):7.1f} ({best(values):6.1f})"
    for path, runs in results.items():
        say(f"{path:<10} {cell(runs, 'rps', 1, max):>16} {cell(runs, 'p50_us'):>16} {cell(runs, 'p95_us'):>16} "
            f"{cell(runs, 'p99_us'):>16} {sum(r['errors'] for r in runs):7d}")
    return results


if __name__ == "__main__":
    sys.exit(main())
