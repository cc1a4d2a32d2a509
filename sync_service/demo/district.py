"""The demo district: a head workbook and one filled-in workbook per school, deterministic
for a seed, made through the :class:`WorkbookStore` interface (so any backend will do).

The schools' forms are filled the way librarians fill them: most correctly, some late,
some with the typical mistakes, some half-done or untouched, so that the first sync
shows every status of ``docs/architecture.md`` for deadlines both past and future.

Each school × collection gets a *scenario*:

=============  ======================================================  ===================
scenario       what the tab holds                                      status after a sync
=============  ======================================================  ===================
on_time        valid data, «Готово» ticked, «Дата сдачи» ≤ deadline    submitted
late           valid data, ticked after the deadline                   submitted_late
mistakes       data with typical blocking mistakes, ticked             returned
draft          data, not ticked                                        in_progress/overdue
empty          nothing typed                                           not_started/overdue
deleted_tab    the tab was deleted (one school)                        overdue
=============  ======================================================  ===================

Valid but untidy input (``1 234`` with a space, ``96 %``, ``1.10.26``, a header renamed
to an alias, merged grade cells, blank rows, an extra column) appears in the correct
scenarios too: Svod must accept it.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sync_service.demo import names
from sync_service.district.registry import academic_year_of, default_deadline
from sync_service.forms.layout import FIRST_DATA_ROW, HEADER_ROW, form_tab, head_tab
from sync_service.forms.schema import Form, Schema
from sync_service.model import Collection, PlanEvent, collection_key
from sync_service.order.fpu import FpuEntry, read_fpu_file, sample_fpu_path
from sync_service.provision.workbooks import workbook_title
from sync_service.stores.base import TabSpec, WorkbookStore

SCENARIOS = ("on_time", "late", "mistakes", "draft", "empty", "deleted_tab")
HEAD_TITLE = "Настройки ОМО"
Progress = Callable[[int, int, str], None]



@dataclass(frozen=True)
class DemoSchool:
    code: str
    name: str
    librarian: str
    email: str
    workbook_id: str
    active: bool = True


@dataclass
class DemoDistrict:
    """What :func:`generate_demo` made."""

    head_workbook_id: str
    academic_year: str
    today: date
    schools: list[DemoSchool]
    collections: list[Collection]
    events: list[PlanEvent]
    # (school code, collection key) -> scenario, for active schools
    scenarios: dict[tuple[str, str], str] = field(default_factory=dict)
    # (school code, collection key) -> the mistakes or untidy inputs put into that tab
    quirks: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    corrupt: list[str] = field(default_factory=list)   # codes of schools whose workbook is broken

    @property
    def school_codes(self) -> list[str]:
        return [s.code for s in self.schools]


@dataclass
class DemoTab(TabSpec):
    """A filled form tab; ``merges`` are cell ranges the librarian merged (1-based, inclusive).

    :class:`~sync_service.stores.xlsx.XlsxStore` writes them; a store that does not know
    the field ignores it."""

    merges: tuple[tuple[int, int, int, int], ...] = ()


# --- the plan -------------------------------------------------------------------------------------

def build_plan(schema: Schema, today: date) -> tuple[str, list[Collection], list[PlanEvent]]:
    """The current academic year's collections and plan events, deadlines on both sides of ``today``."""
    year = academic_year_of(today)
    collections = []
    for form in schema.forms.values():
        for campaign in schema.campaigns if form.per_campaign else (None,):
            month = campaign.month if campaign else form.deadline_month
            deadline = default_deadline(month, year) if month else None
            title = f"{form.title}: {campaign.title}" if campaign else form.title
            collections.append(Collection(collection_key(form, campaign), form, year, deadline, campaign, title))
    dated = sorted((c for c in collections if c.deadline), key=lambda c: (c.deadline, c.key))
    # Early in September or late in August every default deadline is on one side of today.
    if dated and dated[0].deadline >= today:
        first = dated[0]
        collections[collections.index(first)] = replace(first, deadline=today - timedelta(days=3))
    if dated and dated[-1].deadline < today:
        last = dated[-1]
        collections[collections.index(last)] = replace(last, deadline=today + timedelta(days=14))
    collections.sort(key=lambda c: (c.deadline or date.max, c.key))
    events = [PlanEvent(title, year, default_deadline(month, year) - timedelta(days=9)) for month, title in names.PLAN_EVENTS]
    return year, collections, events


def _plan_rows(year: str, collections: list[Collection], events: list[PlanEvent]) -> list[list[Any]]:
    rows = [[c.form.title, c.title, year, c.deadline, c.campaign.title if c.campaign else ""] for c in collections]
    rows += [["", e.title, year, e.date, ""] for e in events]
    return rows


# --- schools --------------------------------------------------------------------------------------

def school_names(count: int, rng: random.Random) -> list[str]:
    templates = [t for t, weight in names.SCHOOL_TEMPLATES for _ in range(weight)]
    villages = list(names.VILLAGES)
    rng.shuffle(villages)
    numbers = list(range(1, max(40, count * 2)))
    rng.shuffle(numbers)
    result: list[str] = []
    while len(result) < count:
        template = rng.choice(templates)
        if "{village}" in template and not villages:
            continue
        name = template.format(n=numbers[len(result) % len(numbers)], namesake=rng.choice(names.NAMESAKES),
                               village=villages[-1] if villages else "")
        if name in result:
            continue
        if "{village}" in template:
            villages.pop()
        result.append(name)
    return result


def _librarian(rng: random.Random) -> str:
    return f"{rng.choice(names.SURNAMES)} {rng.choice(names.FIRST_NAMES)} {rng.choice(names.PATRONYMICS)}"


# --- the federal list sample ----------------------------------------------------------------------

def load_textbooks() -> list[FpuEntry]:
    """The entries of the shipped SAMPLE federal list (codes, titles, authors, publishers)."""
    return read_fpu_file(sample_fpu_path()).entries


# --- one school's figures -------------------------------------------------------------------------

@dataclass
class _Profile:
    """Figures of one school that several forms share, so that they agree with each other."""

    code: str
    librarian: str
    email: str
    students: dict[int, int]          # grade -> students
    staff: int
    fund_total: int
    fund_textbooks: int
    readers_students: int
    readers_staff: int

    @property
    def total_students(self) -> int:
        return sum(self.students.values())


def _profile(code: str, librarian: str, email: str, rng: random.Random) -> _Profile:
    size = rng.choice((0.3, 0.6, 1.0, 1.0, 1.4))
    students = {g: max(20, min(120, int(rng.randint(45, 95) * size))) for g in range(1, 12)}
    if size < 0.5:  # a basic school (ООШ) has no 10-11 grades
        students = {g: n for g, n in students.items() if g <= 9}
    total = sum(students.values())
    fund_textbooks = int(total * rng.uniform(7, 11))
    fund_total = fund_textbooks + int(total * rng.uniform(4, 9)) + rng.randint(500, 3000)
    return _Profile(code, librarian, email, students, max(10, total // 12), fund_total, fund_textbooks,
                    int(total * rng.uniform(0.7, 0.95)), rng.randint(10, 40))


_SUBJECTS = {
    "primary": ("Русский язык", "Литературное чтение", "Математика", "Окружающий мир", "Иностранный язык (английский)"),
    "middle": ("Русский язык", "Литература", "Математика", "История", "География", "Биология",
               "Иностранный язык (английский)"),
    "upper": ("Русский язык", "Литература", "Алгебра", "Геометрия", "История", "Обществознание", "Физика", "Химия",
              "Иностранный язык (английский)"),
}


def _subjects(grade: int) -> tuple[str, ...]:
    if grade <= 4:
        return _SUBJECTS["primary"]
    if grade <= 6:
        return _SUBJECTS["middle"]
    return tuple(s for s in _SUBJECTS["upper"] if grade >= 7 or s not in ("Физика", "Химия"))


def _provision(p: _Profile, rng: random.Random) -> list[list[Any]]:
    rows = []
    for grade, students in p.students.items():
        for subject in _subjects(grade):
            copies = max(0, students + rng.choice((0, 0, 0, 1, 2, -1, -2, -5)))
            percent = round(copies / students * 100, 1) if rng.random() < 0.6 else None
            rows.append([grade, subject, students, copies, percent])
    return rows


def _umk(p: _Profile, books: list[FpuEntry], rng: random.Random) -> list[list[Any]]:
    rows = []
    for grade in p.students:
        by_subject: dict[str, FpuEntry] = {}
        for book in books:
            if grade in book.grades and book.subject and book.subject not in by_subject and rng.random() < 0.8:
                by_subject[book.subject] = book
        for book in list(by_subject.values())[:4]:
            rows.append([book.subject, grade, book.code, book.authors, book.title, book.publisher])
    return rows


def _staffing(p: _Profile, today: date, rng: random.Random) -> list[list[Any]]:
    people = [(p.librarian, p.email)]
    if rng.random() < 0.3:
        people.append((_librarian(rng), ""))
    rows = []
    for n, (full_name, email) in enumerate(people):
        total = rng.randint(3, 38)
        position = "Педагог-библиотекарь" if n == 0 else rng.choice(("Библиотекарь", "Заведующий библиотекой"))
        rows.append([full_name, position, 1 if n == 0 else 0.5, rng.choice(("Высшее библиотечное", "Высшее педагогическое",
                     "Среднее профессиональное библиотечное")), total, rng.randint(1, total),
                     rng.choice(("Высшая", "Первая", "Без категории")), today.year - rng.randint(0, 3),
                     date(today.year - 25 - total, rng.randint(1, 12), rng.randint(1, 28)),
                     f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
                     email or None])
    return rows


def _library_fund(p: _Profile, today: date, rng: random.Random) -> dict[str, Any]:
    fiction = int((p.fund_total - p.fund_textbooks) * rng.uniform(0.6, 0.8))
    return {"fund_total": p.fund_total, "fund_textbooks": p.fund_textbooks, "fund_fiction": fiction,
            "fund_reference": int((p.fund_total - p.fund_textbooks - fiction) * 0.5), "fund_electronic": rng.randint(0, 60),
            "received": int(p.fund_total * rng.uniform(0.02, 0.06)), "written_off": int(p.fund_total * rng.uniform(0.01, 0.04)),
            "periodicals": rng.randint(2, 12), "readers": p.readers_students + p.readers_staff,
            "students": p.total_students, "last_inventory": date(today.year - rng.randint(1, 4), 6, rng.randint(1, 28))}


def _annual_report(p: _Profile, rng: random.Random) -> dict[str, Any]:
    readers = p.readers_students + p.readers_staff
    return {"students": p.total_students, "readers": readers, "readers_students": p.readers_students,
            "readers_staff": p.readers_staff, "visits": readers * rng.randint(8, 20), "loans": readers * rng.randint(10, 25),
            "fund_total": p.fund_total, "fund_textbooks": p.fund_textbooks, "events": rng.randint(15, 80),
            "event_participants": rng.randint(300, 2500), "site_page": f"https://{p.code}.school.example/biblioteka",
            "notes": None}


def _work_plan(p: _Profile, rng: random.Random) -> list[list[Any]]:
    lines = list(names.WORK_PLAN)
    rng.shuffle(lines)
    surname, first, patronymic = p.librarian.split()
    who = f"{surname} {first[0]}.{patronymic[0]}."
    return [[d, a, audience or None, m, who] for d, a, audience, m in lines[:rng.randint(8, len(lines))]]


def _events(p: _Profile, collection: Collection, rng: random.Random) -> list[list[Any]]:
    campaign = collection.campaign
    month = campaign.month
    year = int(collection.academic_year[:4]) + (0 if month >= 9 else 1)
    picked = rng.sample(names.CAMPAIGN_EVENTS.get(campaign.code, names.CAMPAIGN_EVENTS["month"]), k=rng.randint(2, 3))
    rows = []
    for n, (title, kind, grades) in enumerate(picked, start=1):
        day = date(year, month, rng.randint(1, 28))
        rows.append([day, title, kind, f"{grades} классы", rng.randint(15, 120),
                     f"https://{p.code}.school.example/news/{campaign.code}-{n}"])
    return sorted(rows, key=lambda r: r[0])


def _order(p: _Profile, books: list[FpuEntry], year: str, rng: random.Random) -> list[list[Any]]:
    next_start = date(int(year[:4]) + 1, 9, 1)
    usable = [b for b in books if b.valid_until is None or b.valid_until >= next_start]
    rows = []
    for book in rng.sample(usable, k=min(len(usable), rng.randint(20, 40))):
        grades = [g for g in book.grades if g in p.students]
        if not grades:
            continue
        grade = rng.choice(grades)
        copies = max(1, p.students[grade] + rng.choice((-3, -1, 0, 0, 2, 5)))
        rows.append([book.code, book.authors, book.title, grade, book.publisher, copies, None])
    return sorted(rows, key=lambda r: (r[3], r[0]))


def _exchange(p: _Profile, books: list[FpuEntry], rng: random.Random) -> list[list[Any]]:
    rows = []
    for book in rng.sample(books, k=rng.randint(2, 5)):
        kind = rng.choice(("Излишек", "Потребность"))
        rows.append([kind, book.code, book.title, book.authors, book.grades[0] if book.grades else 5,
                     rng.randint(2016, 2024) if kind == "Излишек" else None, rng.randint(2, 25)])
    return rows


def _contests(p: _Profile, rng: random.Random) -> list[list[Any]]:
    rows = []
    surname, first, patronymic = p.librarian.split()
    for _ in range(rng.randint(3, 7)):
        if rng.random() < 0.5:
            pupil = f"{rng.choice(names.PUPIL_SURNAMES_M)} {rng.choice(names.PUPIL_NAMES_M)}"
        else:
            pupil = f"{rng.choice(names.PUPIL_SURNAMES_M)}а {rng.choice(names.PUPIL_NAMES_F)}"
        contest = rng.choice(("Перемена с книгой", "История России в стихах", "Живая классика", "Лучший читатель года"))
        rows.append([contest, rng.choice(("Проза", "Поэзия", "Иллюстрация", None)), pupil, rng.randint(2, 11),
                     f"{surname} {first[0]}.{patronymic[0]}.", rng.choice(("Участник", "Участник", "Призёр", "Победитель")),
                     None])
    return rows


def form_data(collection: Collection, p: _Profile, books: list[FpuEntry], today: date, rng: random.Random):
    """Correct data of one form: rows (table forms) or {column key: value} (record forms)."""
    key = collection.form.key
    builders = {
        "textbook_provision": lambda: _provision(p, rng),
        "umk": lambda: _umk(p, books, rng),
        "staffing": lambda: _staffing(p, today, rng),
        "library_fund": lambda: _library_fund(p, today, rng),
        "annual_report": lambda: _annual_report(p, rng),
        "work_plan": lambda: _work_plan(p, rng),
        "event_report": lambda: _events(p, collection, rng),
        "textbook_order": lambda: _order(p, books, collection.academic_year, rng),
        "textbook_exchange": lambda: _exchange(p, books, rng),
        "contest_results": lambda: _contests(p, rng),
    }
    if key in builders:
        return builders[key]()
    form = collection.form  # a form added to the schema later: a plausible record or row
    values = {c.key: _placeholder(c.type, c.choices, rng) for c in form.columns}
    return values if form.shape == "record" else [[values[c.key] for c in form.columns] for _ in range(3)]


def _placeholder(kind: str, choices, rng: random.Random) -> Any:
    return {"integer": rng.randint(1, 50), "number": rng.randint(1, 50), "percent": rng.randint(80, 100),
            "grade": rng.randint(1, 11), "date": date(2026, 10, rng.randint(1, 28)), "bool": "да",
            "choice": choices[0] if choices else None}.get(kind, "—")


# --- filling a tab, with mistakes ---------------------------------------------------------------

_NOT_IN_LIST = {"position": "Библиотекарь-педагог", "subject": "Математика и информатика",
                "event_form": "Выставка-обзор", "direction": "Воспитательная работа", "month": "Весь год",
                "kind": "Обмен", "contest": "Конкурс чтецов", "result": "Дипломант", "education": "Высшее",
                "category": "Вторая"}
_TEXT_IN_NUMBER = ("около 50", "нет данных", "не знаю", "?")


@dataclass
class _Table:
    """A table form being filled: header labels and data rows (None for a blank line)."""

    form: Form
    header: list[str]
    rows: list[list[Any] | None]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def column(self, key: str) -> int:
        return [c.key for c in self.form.columns].index(key)

    def data(self) -> list[list[Any]]:
        return [r for r in self.rows if r is not None]


def _typo(label: str) -> str:
    """«Ставка» -> «Сатвка»: two letters swapped, as when typing fast."""
    word = label.split(",")[0]
    i = min(2, len(word) - 2)
    return label[:i] + label[i + 1] + label[i] + label[i + 2:] if len(word) > 3 else label + "ъ"


def _table_mistakes(table: _Table, rng: random.Random, pending: list[str]) -> list[str]:
    """One or two blocking mistakes, from those that fit this form; kinds the district has
    not shown yet (``pending``, consumed) come first, so that every kind appears."""
    form, rows = table.form, table.data()
    if not rows:
        return []
    options = []
    numeric = [c for c in form.columns if c.type in ("integer", "number") and c.required]
    choice = [c for c in form.columns if c.type == "choice" and c.key in _NOT_IN_LIST]
    required = [c for c in form.columns if c.required]
    urls = [c for c in form.columns if c.type == "url"]
    if numeric:
        options += ["text_in_number", "formula_error"]
    if choice:
        options.append("not_in_list")
    if form.key_columns and form.key != "textbook_order":
        options.append("duplicate_row")
    options += ["missing_required", "typo_header"]
    if urls:
        options.append("hyperlink_url")
    chosen = rng.sample(options, k=min(len(options), rng.choice((1, 1, 2))))
    first = next((m for m in pending if m in options), None)
    if first is not None:
        pending.remove(first)
        chosen = [first] + [m for m in chosen if m != first][:1]
    done = []
    for mistake in chosen:
        row = rng.choice(rows)
        if mistake == "text_in_number":
            row[table.column(rng.choice(numeric).key)] = rng.choice(_TEXT_IN_NUMBER)
        elif mistake == "formula_error":
            row[table.column(rng.choice(numeric).key)] = "#REF!"
        elif mistake == "not_in_list":
            column = rng.choice(choice)
            row[table.column(column.key)] = _NOT_IN_LIST[column.key]
        elif mistake == "duplicate_row":
            table.rows.insert(table.rows.index(row) + 1, list(row))
        elif mistake == "missing_required":
            row[table.column(rng.choice(required[1:] or required).key)] = None
        elif mistake == "typo_header":
            index = table.column(rng.choice(required).key)
            table.header[index] = _typo(table.header[index])
        elif mistake == "hyperlink_url":
            index = table.column(urls[0].key)
            row[index] = f'=HYPERLINK("{row[index] or "https://school.example/foto"}";"Фотоотчёт")'
        done.append(mistake)
    return done


def _table_quirks(table: _Table, rng: random.Random) -> list[str]:
    """Valid but untidy input: Svod must take it without a blocking finding."""
    form = table.form
    done = []
    aliased = [c for c in form.columns if c.aliases]
    if aliased and rng.random() < 0.3:
        column = rng.choice(aliased)
        table.header[table.column(column.key)] = rng.choice(column.aliases)
        done.append("alias_header")
    if rng.random() < 0.25:
        table.header.append("Комментарий библиотекаря")
        for row in table.data():
            row.append(rng.choice(("", "уточнить", None)))
        done.append("extra_column")
    if form.key == "textbook_provision" and rng.random() < 0.5:
        grade = table.column("grade")
        for row in table.data():
            if row[4] is not None and rng.random() < 0.3:
                row[4] = f"{row[4]:g} %".replace(".", ",")
        done.append("percent_sign")
        if grade == 0 and rng.random() < 0.6:
            done.append("merged_grade")   # merged when the rows are placed
    if form.key == "event_report" and rng.random() < 0.4:
        row = rng.choice(table.data())
        day = row[0]
        row[0] = f"{day.day}.{day.month}.{day.year % 100:02d}"
        done.append("short_date")
    if form.key == "staffing" and rng.random() < 0.4:
        table.data()[0][2] = "1,0"
        done.append("comma_number")
    if len(table.rows) > 3 and rng.random() < 0.25:
        table.rows.insert(rng.randint(1, len(table.rows) - 1), None)
        table.rows.insert(rng.randint(1, len(table.rows) - 1), None)
        done.append("blank_rows")
    return done


def _record_mistakes(form: Form, values: dict[str, Any], rng: random.Random, pending: list[str]) -> list[str]:
    required = [c for c in form.columns if c.required]
    numbers = [c for c in required if c.type == "integer"]
    options = ["missing_required"] + (["text_in_number", "formula_error"] if numbers else [])
    if "readers_students" in values and "students" in values or {"fund_textbooks", "fund_total"} <= set(values):
        options.append("rule")
    mistake = next((m for m in pending if m in options), None) or rng.choice(options)
    if mistake in pending:
        pending.remove(mistake)
    if mistake == "missing_required":
        values[rng.choice(required).key] = None
    elif mistake == "text_in_number":
        values[rng.choice(numbers).key] = rng.choice(_TEXT_IN_NUMBER)
    elif mistake == "formula_error":
        values[rng.choice(numbers).key] = "#REF!"
    elif "readers_students" in values:
        values["readers_students"] = values["students"] + rng.randint(5, 60)  # more readers than pupils
    else:
        values["fund_textbooks"] = values["fund_total"] + rng.randint(100, 900)
    return [mistake]


def _record_quirks(values: dict[str, Any], rng: random.Random) -> list[str]:
    big = [k for k, v in values.items() if isinstance(v, int) and v >= 1000]
    if big and rng.random() < 0.5:
        key = rng.choice(big)
        values[key] = f"{values[key]:,}".replace(",", " ")   # «12 000»
        return ["spaced_number"]
    return []


# Every kind of blocking mistake the demo shows at least once (given enough «mistakes» tabs).
MISTAKES = ("text_in_number", "formula_error", "not_in_list", "duplicate_row", "missing_required", "typo_header",
            "hyperlink_url", "rule")


def filled_tab(collection: Collection, data, scenario: str, ready_date: date | None,
               rng: random.Random, pending: list[str] | None = None) -> tuple[TabSpec, list[str]]:
    """The form tab of ``collection`` as the librarian left it in ``scenario``.

    ``pending``: kinds of mistakes still to show (see :data:`MISTAKES`), consumed."""
    pending = [] if pending is None else pending
    empty = form_tab(collection)
    if scenario == "empty":
        return empty, []
    form = collection.form
    rows = [list(r) for r in empty.rows]
    rows[1] = ["Готово", scenario in ("on_time", "late", "mistakes"), "Дата сдачи", ready_date]
    quirks: list[str] = []
    merges: list[tuple[int, int, int, int]] = []
    if form.shape == "record":
        values = dict(data)
        if scenario == "draft":
            for column in rng.sample(form.columns, k=len(form.columns) // 2):
                values[column.key] = None
        quirks = _record_mistakes(form, values, rng, pending) if scenario == "mistakes" else _record_quirks(values, rng)
        for offset, column in enumerate(form.columns):
            rows[FIRST_DATA_ROW - 1 + offset][1] = values.get(column.key)
    else:
        table = _Table(form, list(rows[HEADER_ROW - 1]), [list(r) for r in data])
        if scenario == "draft" and len(table.rows) > 2:
            del table.rows[len(table.rows) // 2:]
        quirks = _table_quirks(table, rng)
        if scenario == "mistakes":
            quirks += _table_mistakes(table, rng, pending)
        rows[HEADER_ROW - 1] = table.header
        first = len(rows) + 1
        rows += [r if r is not None else [] for r in table.rows]
        if "merged_grade" in quirks:
            merges = _merge_grades(rows, first)
    return DemoTab(**{**empty.__dict__, "rows": rows, "merges": tuple(merges)}), quirks


def _merge_grades(rows: list[list[Any]], first: int) -> list[tuple[int, int, int, int]]:
    """Merge column A over each run of rows with the same grade, as people do in Excel."""
    merges = []
    r = first
    while r <= len(rows):
        grade = rows[r - 1][0] if rows[r - 1] else None
        end = r
        while end < len(rows) and rows[end] and rows[end][0] == grade and grade is not None:
            end += 1
        if end > r:
            for i in range(r + 1, end + 1):
                rows[i - 1][0] = None
            merges.append((r, 1, end, 1))
        r = end + 1
    return merges


# --- scenarios ------------------------------------------------------------------------------------

_WEIGHTS = {  # deadline past / soon (within 60 days) / later / none
    "past": {"on_time": 45, "late": 20, "mistakes": 15, "draft": 10, "empty": 10},
    "soon": {"on_time": 25, "mistakes": 10, "draft": 35, "empty": 30},
    "later": {"on_time": 3, "mistakes": 2, "draft": 25, "empty": 70},
    "none": {"on_time": 30, "mistakes": 5, "draft": 35, "empty": 30},
}


def _timing(collection: Collection, today: date) -> str:
    if collection.deadline is None:
        return "none"
    if collection.deadline < today:
        return "past"
    return "soon" if collection.deadline <= today + timedelta(days=60) else "later"


def assign_scenarios(codes: list[str], collections: list[Collection], today: date,
                     rng: random.Random) -> dict[tuple[str, str], str]:
    """A scenario per school × collection: some fixed so that every status appears, the rest random."""
    past = [c for c in collections if _timing(c, today) == "past"]
    future = [c for c in collections if _timing(c, today) in ("soon", "later", "none")]
    fixed: dict[tuple[str, str], str] = {}
    wanted = [("late", past), ("on_time", past), ("mistakes", past), ("empty", past),
              ("draft", future), ("empty", future), ("draft", past), ("on_time", future)]
    for n, (scenario, pool) in enumerate(wanted):
        if pool and codes:
            fixed[(codes[n % len(codes)], pool[n % len(pool)].key)] = scenario
    scenarios = {}
    for code in codes:
        for collection in collections:
            weights = _WEIGHTS[_timing(collection, today)]
            chosen = rng.choices(list(weights), weights=list(weights.values()))[0]
            scenarios[(code, collection.key)] = fixed.get((code, collection.key), chosen)
    return scenarios


def _ready_date(scenario: str, collection: Collection, today: date, rng: random.Random) -> date | None:
    deadline = collection.deadline
    if scenario == "on_time":
        latest = min(deadline, today) if deadline else today
        return latest - timedelta(days=rng.randint(0, 10))
    if scenario == "late" and deadline:
        return deadline + timedelta(days=rng.randint(1, max(1, (today - deadline).days)))
    if scenario == "mistakes" and rng.random() < 0.5:
        return today - timedelta(days=rng.randint(0, 5))
    return None


# --- the district -------------------------------------------------------------------------------

def corrupt_workbook(store: WorkbookStore, workbook_id: str) -> bool:
    """Break a local workbook (not a zip any more) so the demo shows a read error.

    Only for :class:`~sync_service.stores.xlsx.XlsxStore`; returns False for other stores."""
    folder = getattr(store, "folder", None)
    if getattr(store, "name", "") != "xlsx" or folder is None:
        return False
    (Path(folder) / workbook_id).write_bytes(b"\x00\x01 not a workbook: saved half-way \x00" * 16)
    return True


def generate_demo(store: WorkbookStore, schema: Schema, *, schools: int = 24, seed: int = 1, today: date,
                  progress: Progress | None = None) -> DemoDistrict:
    """Create the demo district in ``store``: ``schools`` active schools' workbooks and the head's.

    From 8 schools on, the registry also lists one school more that is closed («Активна»: нет),
    so that the demo shows how the head retires a school without deleting its row.
    """
    if schools < 1:
        raise ValueError("a district needs at least one school")
    rng = random.Random(seed)
    year, collections, events = build_plan(schema, today)
    books = load_textbooks()
    listed = schools + (1 if schools >= 8 else 0)
    width = max(2, len(str(listed)))
    codes = [f"sch{n:0{width}d}" for n in range(1, listed + 1)]
    school_list = []
    inactive = set(codes[schools:])
    for code, name in zip(codes, school_names(listed, rng)):
        librarian = _librarian(rng)
        email = f"{names.translit(librarian.split()[0])}.{code}@school.example"
        school_list.append(DemoSchool(code, name, librarian, email, "", code not in inactive))
    active = [s.code for s in school_list if s.active]
    scenarios = assign_scenarios(active, collections, today, rng)
    spare = active[8:]  # the first eight carry the scenarios fixed by assign_scenarios
    deleted_tab = None
    if schools >= 10 and spare:
        past_tables = [c for c in collections if c.deadline and c.deadline < today and c.form.shape == "table"]
        if past_tables:
            deleted_tab = (spare[0], past_tables[-1].key)
            scenarios[deleted_tab] = "deleted_tab"
    corrupt = [spare[-1]] if schools >= 20 and len(spare) > 1 else []

    district = DemoDistrict(f"{HEAD_TITLE}.xlsx", year, today, [], collections, events, scenarios, {}, corrupt)
    total = listed + 1
    pending = list(MISTAKES)
    for done, school in enumerate(school_list, start=1):
        school_rng = random.Random(f"{seed}:{school.code}")
        profile = _profile(school.code, school.librarian, school.email, school_rng)
        tabs, seen = [], set()
        for collection in collections:
            if collection.tab in seen:
                continue
            seen.add(collection.tab)
            scenario = scenarios.get((school.code, collection.key), "empty")
            if scenario == "deleted_tab":
                continue
            data = form_data(collection, profile, books, today, school_rng) if scenario != "empty" else None
            ready_date = _ready_date(scenario, collection, today, school_rng)
            tab, quirks = filled_tab(collection, data, scenario, ready_date, school_rng, pending)
            if quirks:
                district.quirks[(school.code, collection.key)] = quirks
            tabs.append(tab)
        workbook_id = store.create_workbook(workbook_title(school.code, school.name), tabs)
        if school.code in corrupt and not corrupt_workbook(store, workbook_id):
            district.corrupt.remove(school.code)
        district.schools.append(replace(school, workbook_id=workbook_id))
        if progress:
            progress(done, total, school.code)

    school_rows = [[s.code, s.name, s.librarian, s.email, s.workbook_id, "да" if s.active else "нет"]
                   for s in district.schools]
    head = [head_tab(schema, "schools", school_rows), head_tab(schema, "plan", _plan_rows(year, collections, events))]
    district.head_workbook_id = store.create_workbook(HEAD_TITLE, head)
    if progress:
        progress(total, total, HEAD_TITLE)
    return district
