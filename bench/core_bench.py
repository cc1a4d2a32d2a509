"""Parse + validate + consolidate throughput, beside frictionless-py on the same rows.

Generates N schools × every form as in-memory sheets (the layout Svod creates, with
plausible values and a sprinkling of typical mistakes), runs Svod's pure pipeline
(parse_form on every tab, then the consolidated tabs), and has frictionless validate
the same rows against an equivalent schema (one resource per form with every school's
rows, frictionless's most favourable case): each column's type as Svod reads it, with
its required flag, range, choices and pattern; the school and the form's key columns as
the primary key; the form's rules as row constraints. On the same rows both report the
same places (``tests/bench/test_core_bench_equivalence.py``). For comparison it also
runs frictionless against the reduced schema used until 2026-11-29 (integers and numbers
typed, everything else plain text, no keys, no rules). A form's named checks beyond its
schema (the textbook order's lookup in the federal list) run on neither side: Svod's
gets no list here and only notes that none is loaded.

Each side runs alone in a fresh process, ``--runs`` times in turns; prints rows per
CPU-second of the best and the median run, the findings each side reported, and the
peak memory of Svod's process.

    python bench/core_bench.py [--schools 500] [--seed 1] [--runs 5] [--skip-frictionless]

Targets (issue #2): ≥ 10× frictionless's rows per second, peak memory under 1 GB.
"""
from __future__ import annotations

import argparse
import gc
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync_service.district.consolidate import SchoolLine, Snapshot, consolidated_tabs  # noqa: E402
from sync_service.district.registry import default_collections  # noqa: E402
from sync_service.district.status import Facts, status_of  # noqa: E402
from sync_service.forms.layout import form_tab  # noqa: E402
from sync_service.forms.schema import Column, Form, load_schema  # noqa: E402
from sync_service.forms.validation import parse_form  # noqa: E402
from sync_service.stores.base import Sheet  # noqa: E402
from sync_service.sync.runtime import paused_gc  # noqa: E402

# Rows per table form for one school (textbook_provision: 11 grades × ~15 subjects).
TABLE_ROWS = {"textbook_provision": 165, "umk": 120, "textbook_order": 60, "work_plan": 40,
              "staffing": 2, "event_report": 8, "textbook_exchange": 10, "contest_results": 12}
TODAY = date(2026, 11, 22)


def cell(column: Column, rng: random.Random, row: int):
    """A plausible value as a person types it (sometimes as text, sometimes typed)."""
    kind = column.type
    if kind in ("integer", "grade"):
        low = int(column.min if column.min is not None else (1 if kind == "grade" else 0))
        high = int(column.max if column.max is not None else (11 if kind == "grade" else 500))
        return rng.randint(low, min(high, low + 300))
    if kind in ("number", "percent"):
        value = round(rng.uniform(column.min or 0, min(column.max or 100, 100)), 1)
        return value if kind == "number" else f"{value:.1f} %".replace(".", ",")
    if kind == "date":
        day = TODAY - timedelta(days=rng.randint(1, 300))
        return day if rng.random() < 0.5 else day.strftime("%d.%m.%Y")
    if kind == "choice":
        return rng.choice(column.choices)
    if kind == "bool":
        return rng.choice(["да", "нет"])
    if kind == "url":
        return f"https://school{row}.example.ru/news/{rng.randint(1, 999)}"
    if kind == "email":
        return f"lib{row}@school.example.ru"
    if kind == "phone":
        return f"+7 (9{rng.randint(10, 99)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    if kind == "fpu_code":  # unique within a school's tab, as real codes are
        return f"1.1.{row // 81 % 3 + 1}.{row // 9 % 9 + 1}.{row % 9 + 1}.{rng.randint(1, 9)}"
    if column.pattern:  # a name: letters only
        return rng.choice(NAMES) + " " + rng.choice(NAMES)
    return f"Текст {row} {column.label}"


NAMES = ["Иванова", "Петрова", "Сидорова", "Анна", "Ольга", "Мария", "Николаевна", "Сергеевна"]


SUBJECTS = load_schema().lists["subjects"]


def consistent(form: Form, values: dict, rng: random.Random, row: int) -> dict:
    """Make a generated row obey the form's rules, as most schools' rows do."""
    if form.key == "textbook_provision":
        values["copies"] = max(0, values["students"] - rng.randint(0, 3))
        values["provision"] = None
        # one row per grade and subject, as the form asks
        values["grade"], values["subject"] = divmod(row, len(SUBJECTS))[0] % 11 + 1, SUBJECTS[row % len(SUBJECTS)]
    elif form.key == "staffing":
        values["experience_library"] = min(values["experience_library"], values["experience_total"])
    elif form.shape == "record":
        for key in ("readers_students", "fund_textbooks", "readers_staff"):
            if key in values:
                values[key] = 0 if key == "readers_staff" else 1
        if "visits" in values and "readers" in values:
            values["visits"] = max(values["visits"], values["readers"])
        if "fund_fiction" in values:
            values["fund_total"] = 100000
    return values


def typed_like_a_person(column: Column, value, rng: random.Random):
    """Numbers sometimes arrive as text with a space between thousands."""
    if column.type == "integer" and isinstance(value, int) and rng.random() < 0.3:
        return f"{value:,}".replace(",", " ")
    return value


def school_sheet(form: Form, tab: str, rng: random.Random, collection) -> Sheet:
    spec = form_tab(collection)
    rows = [list(r) for r in spec.rows]
    rows[1][1] = True
    if form.shape == "record":
        values = consistent(form, {c.key: cell(c, rng, 1) for c in form.columns}, rng, 0)
        for row, column in zip(rows[4:], form.columns):
            row[1] = typed_like_a_person(column, values[column.key], rng)
    else:
        for n in range(TABLE_ROWS.get(form.key, 20)):
            values = consistent(form, {c.key: cell(c, rng, n) for c in form.columns}, rng, n)
            row = [typed_like_a_person(c, values[c.key], rng) for c in form.columns]
            if rng.random() < 0.01:  # a typical mistake now and then
                row[rng.randrange(len(row))] = "нет данных"
            rows.append(row)
    return Sheet(title=tab, rows=rows)


def generate(schema, schools: int, seed: int):
    rng = random.Random(seed)
    collections = default_collections(schema, "2026/2027")
    district = []
    for number in range(1, schools + 1):
        sheets = {c.key: school_sheet(c.form, c.tab, rng, c) for c in collections}
        district.append((f"sch{number:03d}", f"Школа №{number}", sheets))
    return collections, district


def run_svod(collections, district):
    with paused_gc():  # as the sync did until it froze its start-up heap instead: figures stay comparable
        return _run_svod(collections, district)


def _run_svod(collections, district) -> tuple[int, int]:
    """Rows parsed and findings reported (the consolidated tabs are built, not counted)."""
    snapshots, statuses = {}, {}
    rows = findings = 0
    for code, _name, sheets in district:
        for collection in collections:
            result = parse_form(collection.form, sheets[collection.key], tab=collection.tab)
            rows += len(result.table)
            findings += len(result.findings)
            snapshots[(code, collection.key)] = Snapshot(result.table, result.computed)
            statuses[(code, collection.key)] = status_of(
                Facts(result.ready, result.errors, result.has_data, None), collection.deadline, TODAY)
    lines = [SchoolLine(code, name) for code, name, _ in district]
    consolidated_tabs(collections, lines, snapshots, statuses)
    return rows, findings


# What frictionless needs to check what Svod checks, per column type (Table Schema fields
# and constraints). Integers as people type them ("1 234") are numbers with a group separator.
YES, NO = ["да", "Да", "ДА", "+"], ["нет", "Нет", "НЕТ", "-"]
PHONE = r"\+?[0-9 ()\-.]{10,18}"   # what _to_phone accepts: 10 or 11 digits with the usual marks
FPU = r"[0-9]+(\.[0-9]+)+"         # what _to_fpu accepts: a dotted code


def frictionless_field(column: Column, *, full: bool = True):
    """``column`` as a frictionless field: its type, required, min/max, choices, pattern.

    ``full=False`` is the reduced schema this benchmark used until 2026-11-29: integers
    and numbers typed, every other column a plain string."""
    from frictionless import fields

    constraints: dict = {"required": True} if column.required else {}
    if column.type == "choice":
        constraints["enum"] = list(column.choices)
    if column.pattern:
        constraints["pattern"] = column.pattern
    kind = column.type
    if kind in ("integer", "grade") or full and kind in ("number", "percent"):
        if column.min is not None:
            constraints["minimum"] = column.min
        if column.max is not None:
            constraints["maximum"] = column.max
    if not full:
        if kind in ("integer", "grade"):
            return fields.IntegerField(name=column.key, constraints=constraints)
        if kind == "number":
            return fields.NumberField(name=column.key, constraints=constraints)
        return fields.StringField(name=column.key, constraints=constraints)
    if kind == "grade":
        return fields.IntegerField(name=column.key, constraints=constraints)
    if kind == "integer":
        return fields.NumberField(name=column.key, group_char=" ", constraints=constraints)
    if kind == "number":
        return fields.NumberField(name=column.key, constraints=constraints)
    if kind == "percent":  # "12,5 %"
        return fields.NumberField(name=column.key, decimal_char=",", bare_number=False, constraints=constraints)
    if kind == "date":  # a date cell as it is, or text as people type it
        return fields.DateField(name=column.key, format="%d.%m.%Y", constraints=constraints)
    if kind == "bool":
        return fields.BooleanField(name=column.key, true_values=YES, false_values=NO, constraints=constraints)
    if kind in ("url", "email"):
        return fields.StringField(name=column.key, format="uri" if kind == "url" else "email", constraints=constraints)
    if kind in ("phone", "fpu_code"):
        constraints.setdefault("pattern", PHONE if kind == "phone" else FPU)
    return fields.StringField(name=column.key, constraints=constraints)


def frictionless_checks(form: Form) -> list:
    """Svod's row rules as frictionless row constraints: a rule with a missing operand or a
    zero divisor is skipped, as Svod skips it; ``~=`` holds within its tolerance."""
    from frictionless import checks

    built = []
    for rule in form.rules:
        left, right = rule.left.source, rule.right.source
        names = sorted(set(rule.left.names) | set(rule.right.names))
        divisors = sorted(set(re.findall(r"/\s*(\w+)", f"{left} {right}")))
        skip = " or ".join([f"{name} == None" for name in names] + [f"{name} == 0" for name in divisors])
        if rule.op == "~=":
            holds = f"{-rule.tolerance} <= ({left}) - ({right}) <= {rule.tolerance}"
        else:
            holds = f"({left}) {rule.op} ({right})"
        built.append(checks.row_constraint(formula=f"{skip} or {holds}"))
    return built


def frictionless_schema(form: Form, *, full: bool = True):
    """The form for frictionless: its columns, and (``full``) the school and the form's key
    columns as the primary key, as Svod reports a repeated key within a school's tab."""
    from frictionless import Schema, fields

    built = [frictionless_field(column, full=full) for column in form.columns]
    if not (full and form.key_columns):
        return Schema(fields=built, primary_key=[])
    return Schema(fields=[fields.StringField(name="school"), *built], primary_key=["school", *form.key_columns])


def frictionless_data(collection, district, *, full: bool = True) -> list[list]:
    """A collection's rows for frictionless, every school's in one resource (frictionless's
    most favourable case): the cells as a workbook holds them (numbers and dates typed, the
    rest text), each row led by its school's code when the form has key columns. The
    reduced schema had every cell as text and no school."""
    form = collection.form
    school = bool(full and form.key_columns)
    data = [["school"] * school + [c.key for c in form.columns]]
    for code, _name, sheets in district:
        lines = sheets[collection.key].rows[4:]
        if form.shape == "record":  # a record form is one row of values per school
            lines = [[line[1] for line in lines]]
        for line in lines:
            data.append([code] * school + (list(line) if full else [None if v is None else str(v) for v in line]))
    return data


def validate_with_frictionless(collection, data: list[list], *, full: bool = True):
    """frictionless's report on ``data``: every error, the checks of the schema and the rules."""
    from frictionless import Checklist, Resource, validate

    checklist = Checklist(checks=frictionless_checks(collection.form) if full else [])
    return validate(Resource(data=data, schema=frictionless_schema(collection.form, full=full)),
                    checklist=checklist, limit_errors=10 ** 9)


def run_frictionless(collections, district, *, full: bool = True) -> tuple[int, int]:
    """Rows validated and errors found."""
    rows = errors = 0
    for collection in collections:
        data = frictionless_data(collection, district, full=full)
        report = validate_with_frictionless(collection, data, full=full)
        assert report.tasks[0].stats["rows"] == len(data) - 1
        rows += len(data) - 1
        errors += len(report.tasks[0].errors)
    return rows, errors


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PARTS = {"svod": "Svod: parse + validate + consolidate",
         "frictionless": "frictionless: the equivalent schema",
         "frictionless-columns": "frictionless: columns only (until 2026-11-29)"}


def only(part: str, schools: int, seed: int) -> None:
    """One part in this process: the district is generated, then ``part`` runs; prints the
    CPU seconds of the part, the process's peak RSS and the findings (errors) it reported,
    then the number of rows last (what ``bench/core_instructions.py`` reads)."""
    collections, district = generate(load_schema(), schools, seed)
    import frictionless  # noqa: F401  (imported in every part, so that its import is not counted)
    gc.collect()
    started = time.process_time()
    found = 0
    if part == "svod":
        found = run_svod(collections, district)[1]
    elif part.startswith("frictionless"):
        found = run_frictionless(collections, district, full=part == "frictionless")[1]
    print(f"cpu {time.process_time() - started:.4f}")
    print(f"rss {peak_rss_mib():.0f}")
    print(f"found {found}")
    # the data rows below a table's header (row 4), one row per record form
    print(sum(len(sheets[c.key].rows) - 4 if c.form.shape == "table" else 1
              for _, _, sheets in district for c in collections))


def measure(part: str, schools: int, seed: int) -> tuple[float, float, int, int]:
    """CPU seconds, peak RSS (MiB), findings and rows of ``part`` run alone in a fresh
    process: each run starts as a sync does, with nothing remembered, and no side runs in
    the heap or the garbage collector's state another one left."""
    done = subprocess.run([sys.executable, __file__, "--only", part, "--schools", str(schools), "--seed", str(seed)],
                          capture_output=True, text=True, check=True)
    figures = dict(line.split() for line in done.stdout.splitlines()[:-1])
    return float(figures["cpu"]), float(figures["rss"]), int(figures["found"]), int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per side, taken in turns")
    parser.add_argument("--skip-frictionless", action="store_true")
    parser.add_argument("--only", choices=["generate", *PARTS],
                        help="run that part alone in this process (used by the runs, and by bench/core_instructions.py)")
    args = parser.parse_args()
    if args.only:
        only(args.only, args.schools, args.seed)
        return
    parts = ["svod"] if args.skip_frictionless else list(PARTS)
    print(f"{args.schools} schools × {len(load_schema().forms)} forms, each side {args.runs} times in a fresh "
          "process, in turns (the least CPU time is the one the machine's load disturbed least):", flush=True)
    cpu: dict[str, list[float]] = {part: [] for part in parts}
    found: dict[str, int] = {}
    peak = 0.0
    rows = 0
    for run in range(1, args.runs + 1):
        for part in parts:
            seconds, rss, found[part], rows = measure(part, args.schools, args.seed)
            cpu[part].append(seconds)
            if part == "svod":
                peak = max(peak, rss)
            print(f"  run {run}: {part:<20} {seconds:6.2f} s CPU  {rows / seconds:>8.0f} rows per CPU-second"
                  f"  peak RSS {rss:4.0f} MiB", flush=True)
    print(f"{rows} rows")
    for part in parts:
        print(f"{PARTS[part]:<48} {rows / min(cpu[part]):>8.0f} rows per CPU-second (best run; median "
              f"{rows / statistics.median(cpu[part]):.0f}), {found[part]} findings")
    for part in parts[1:]:
        # CPU time, not wall time: a shared machine's load would otherwise decide the ratio.
        print(f"speed-up over {PARTS[part]}: {min(cpu[part]) / min(cpu['svod']):.1f}× best runs, "
              f"{statistics.median(cpu[part]) / statistics.median(cpu['svod']):.1f}× medians (target ≥ 10×)")
    print(f"peak RSS of Svod's process (with the generated data and frictionless imported, as in every part): "
          f"{peak:.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()
