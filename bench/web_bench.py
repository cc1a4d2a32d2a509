"""Web benchmark: the status page against /healthz under load, with wrk and gunicorn.

    .venv/bin/python bench/web_bench.py [--schools 500] [--duration 30] [--connections 20]

1. Builds a district of ``--schools`` schools in a fresh SQLite database under
   ``bench/out/web/`` by inserting rows directly with the SQLAlchemy models (seconds,
   not the minutes the demo generator + a sync take for 500 workbooks; the web only
   reads the database, so the rows are all it needs): the thirteen collections of the
   demo plan, a submission per school × collection with every status, findings, read
   errors, 40 sync runs with rate snapshots, and the plan's events.
2. Times one request of each page in-process (Flask's test client), cold and warm.
3. Starts ``gunicorn -w 2 --threads 4 web.wsgi:app`` on a free local port with
   ``DATABASE_URL`` pointing at that database, and runs ``wrk`` with 20 connections for
   30 s against ``/`` and then against ``/healthz`` (a Lua ``done`` hook reports p50, p95
   and p99).
4. Prints the figures. The target: the status page's p95 within 5 × that of /healthz,
   and no errors (socket errors, non-2xx answers, timeouts). Exit 1 when missed.

Needs ``wrk`` (Debian: ``apt-get install wrk``). Not part of ``make test``.
"""
from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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

def build_district(url: str, schools: int, today: date, seed: int = 1) -> str:
    """A district of ``schools`` schools in the database at ``url``; returns the academic year."""
    rng = random.Random(seed)
    year = academic_year_of(today)
    first = int(year[:4])
    database = m.Database(url)
    database.upgrade()
    started = time.monotonic()
    with database.session() as session:
        rows = [m.School(code=f"sch{i:03d}", workbook=f"sch{i:03d}.xlsx", librarian=f"Библиотекарь {i}",
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
                session.add(m.Submission(school_id=school.id, collection_id=collection.id, ready=ready,
                                         errors=errors, warnings=rng.randint(0, 2), has_data=has_data,
                                         first_submitted_at=first_at, version=0,
                                         changed_at=now - timedelta(days=rng.randint(0, 60))))
                for n in range(errors):
                    session.add(m.FindingRecord(school_id=school.id, collection_id=collection.id, code="range",
                                                severity="error", form=collection.form, sheet=collection.tab,
                                                row=5 + n, column="Количество", column_key="count",
                                                address=f"C{5 + n}", message="Значение вне допустимых границ",
                                                hint="Проверьте значение."))
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
    say(f"district: {schools} schools × {len(COLLECTIONS)} collections, {len(runs)} sync runs "
        f"in {time.monotonic() - started:.1f} s")
    return year


# --- in-process timings ----------------------------------------------------------------------

def time_in_process(url: str) -> None:
    """One request of each page through Flask's test client: cold (first) and warm."""
    os.environ.update(DATABASE_URL=url, SVOD_SECRET_KEY="bench", SVOD_LOCK_FILE=str(OUT / "sync.lock"))
    from web import create_app

    app = create_app()
    client = app.test_client()
    for path in ("/", "/?status=overdue", "/debtors.txt", "/plan", "/school/sch001", "/collection/staffing",
                 "/api/status", "/healthz"):
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        say(f"  {path:<24} {len(response.data) / 1024:8.0f} KiB   first {timings[0]:7.1f} ms   "
            f"then {min(timings[1:]):7.1f} ms")
    app.extensions["svod"].db.dispose()


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


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SVOD_LOCK_FILE": str(OUT / "sync.lock"),
           "SVOD_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                                "web.wsgi:app"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
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
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--duration", type=int, default=30, help="seconds of wrk per URL")
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)", file=sys.stderr)
        return 2

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    url = f"sqlite:///{OUT / 'svod.db'}"
    today = datetime.now().date()
    build_district(url, args.schools, today)
    say("in-process, one request each (Flask test client):")
    time_in_process(url)

    port = free_port()
    process = start_gunicorn(url, port, OUT / "gunicorn.log")
    results = {}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        for path in ("/", "/healthz"):
            say(f"wrk: {args.connections} connections, {args.duration} s, http://127.0.0.1:{port}{path} …")
            results[path] = wrk(f"http://127.0.0.1:{port}{path}", connections=args.connections,
                                seconds=args.duration, script=Path(script.name))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        os.unlink(script.name)

    say(f"\ngunicorn -w 2 --threads 4, {args.schools} schools, wrk -c {args.connections} -d {args.duration}s")
    say(f"{'URL':<10} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>9} "
        f"{'errors':>7}")
    for path, r in results.items():
        say(f"{path:<10} {r['rps']:9.1f} {r['p50_us'] / 1000:8.2f} {r['p95_us'] / 1000:8.2f} "
            f"{r['p99_us'] / 1000:8.2f} {r['max_us'] / 1000:8.2f} {r['requests']:9d} {r['errors']:7d}")
    ratio = results["/"]["p95_us"] / max(1, results["/healthz"]["p95_us"])
    errors = sum(r["errors"] for r in results.values())
    ok = ratio <= 5 and errors == 0 and all(r["requests"] for r in results.values())
    say(f"status page p95 = {ratio:.2f} × /healthz p95 (target ≤ 5); errors: {errors} (target 0) — "
        f"{'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
