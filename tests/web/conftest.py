"""The web tests' app: ``build_app`` makes it with the one test factory (``tests/factory.py``)
and fills its database with a small district (the ``make_app`` fixture hands it out bound
to a temporary folder).

The factory migrates a temporary SQLite database, :func:`populate` fills it through the
real SQLAlchemy models, and the app is ``create_app``'s around a Svod context with a fixed
clock. The store is never built: the pages only read the database, never the workbooks.

The district at NOW = 22.11.2026 09:00 (academic year 2026/2027):

| school | staffing (30.09) | textbook_provision (30.09) | event_report.month (31.10) | library_fund (30.11) | textbook_exchange (—) |
|---|---|---|---|---|---|
| sch01 | submitted | submitted | submitted_late | submitted | in_progress |
| sch02 | submitted_late | overdue | overdue | in_progress | submitted |
| sch03 | returned | overdue | overdue | not_started | not_started |
| sch04 | overdue | submitted | overdue | returned | not_started |

sch03's workbook failed to be read in the last sync (its statuses are those of its last
good read, 21.11, which stored every collection); sch09 is inactive, sch10 left the
registry; a collection of another year and one dropped from the plan must not show.
The plan has four dated events (one in August, before the year), one undated, and one
of another year; staffing has two rate snapshots (25 % then 50 %).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sync_service import db as m
from sync_service.findings import make_finding
from tests.factory import make_app as app_of
from tests.factory import make_svod

NOW = datetime(2026, 11, 22, 9, 0)
YEAR = "2026/2027"
# Personal data planted in every place it could leak from; no page may show any of it.
PERSONAL = [
    "Петрова Анна Сергеевна", "petrova.anna@school1.example",    # librarians (School rows)
    "Сидоров Иван Ильич", "sidorov@school2.example",
    "Иванова Мария Петровна", "ivanova.m@school1.example", "+7 912 345-67-89", "1980-05-17", "17.05.1980",
    "Кузнецова Ольга Игоревна", "+7 900 111-22-33",                # staffing rows
    "Смирнов Пётр Андреевич", "smirnov.p@school2.example",
    "orlova-at-mail", "Орлова Н1на", "Орлова Нина Викторовна",     # values quoted by findings
    "petrova.anna@@school1",                                        # a head finding's value
]

STAFFING_ROWS = {
    "sch01": [
        {"_row": 5, "full_name": "Иванова Мария Петровна", "position": "Педагог-библиотекарь", "rate": 1.0,
         "education": "Высшее библиотечное", "experience_total": 20, "experience_library": 12,
         "courses_year": 2024, "birth_date": "1980-05-17", "phone": "+7 912 345-67-89",
         "email": "ivanova.m@school1.example"},
        {"_row": 6, "full_name": "Кузнецова Ольга Игоревна", "position": "Библиотекарь", "rate": 0.5,
         "education": "Среднее профессиональное библиотечное", "experience_total": 8, "experience_library": 3,
         "courses_year": 2023, "phone": "+7 900 111-22-33"},
    ],
    "sch02": [
        {"_row": 5, "full_name": "Смирнов Пётр Андреевич", "position": "Заведующий библиотекой", "rate": 1.0,
         "education": "Высшее педагогическое", "experience_total": 15, "experience_library": 15,
         "email": "smirnov.p@school2.example"},
    ],
}
FUND = {
    "sch01": {"fund_total": 12000, "fund_textbooks": 7000, "fund_fiction": 4000, "received": 600,
              "written_off": 100, "readers": 500, "students": 600},
    "sch02": {"fund_total": 8000, "fund_textbooks": 5000, "fund_fiction": 2500, "received": 400,
              "written_off": 50, "readers": 300, "students": 400},
}
PROVISION_ROWS = {
    "sch01": [{"_row": 5, "grade": 5, "subject": "Математика", "students": 50, "copies": 48, "provision": 96},
              {"_row": 6, "grade": 5, "subject": "Русский язык", "students": 50, "copies": 50}],
    "sch04": [{"_row": 5, "grade": 5, "subject": "Математика", "students": 70, "copies": 72}],
}


def _when(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour)


def populate(session) -> None:
    """The district of the module docstring, through the real models."""
    schools = {
        "sch01": m.School(code="sch01", name="МБОУ СОШ № 1", librarian="Петрова Анна Сергеевна",
                          email="petrova.anna@school1.example", workbook="sch01.xlsx"),
        "sch02": m.School(code="sch02", name="МБОУ СОШ № 2", librarian="Сидоров Иван Ильич",
                          email="sidorov@school2.example", workbook="sch02.xlsx"),
        "sch03": m.School(code="sch03", name="МБОУ Гимназия № 3", librarian="Орлова Нина Викторовна",
                          email="orlova@school3.example", workbook="sch03.xlsx"),
        "sch04": m.School(code="sch04", name="МБОУ Лицей № 4", workbook="sch04.xlsx"),
        "sch09": m.School(code="sch09", name="Закрытая школа № 9", active=False),
        "sch10": m.School(code="sch10", name="Бывшая школа № 10", in_registry=False),
    }
    session.add_all(schools.values())
    collections = {
        "staffing": m.Collection(key="staffing", form="staffing", tab="Кадры", position=0,
                                 title="Мониторинг кадрового обеспечения школьной библиотеки",
                                 deadline=date(2026, 9, 30)),
        "textbook_provision": m.Collection(key="textbook_provision", form="textbook_provision", tab="Обеспеченность",
                                           title="Мониторинг обеспеченности обучающихся учебниками",
                                           deadline=date(2026, 9, 30), position=1),
        "library_fund": m.Collection(key="library_fund", form="library_fund", tab="Фонд", position=3,
                                     title="Мониторинг библиотечного фонда", deadline=date(2026, 11, 30)),
        "event_report.month": m.Collection(key="event_report.month", form="event_report", campaign="month",
                                           tab="Мероприятия — Месячник", position=2, deadline=date(2026, 10, 31),
                                           title="Отчёт о мероприятиях: Международный месячник школьных библиотек"),
        "textbook_exchange": m.Collection(key="textbook_exchange", form="textbook_exchange", tab="Обмен учебниками",
                                          title="Взаимообмен учебниками — излишки и потребность", position=4),
    }
    # Position decides the order, not the insertion: event_report.month (2) before library_fund (3).
    for c in collections.values():
        c.academic_year = YEAR
    other_year = m.Collection(key="annual_report", form="annual_report", tab="Годовой отчёт", academic_year="2025/2026",
                              title="Отчёт о работе школьной библиотеки за учебный год", deadline=date(2026, 6, 30))
    dropped = m.Collection(key="work_plan", form="work_plan", tab="План работы", academic_year=YEAR, in_plan=False,
                           title="План работы школьной библиотеки на учебный год", deadline=date(2026, 8, 31))
    session.add_all([*collections.values(), other_year, dropped])
    session.flush()

    runs = [m.SyncRun(started_at=_when("2026-11-21", 8), finished_at=_when("2026-11-21", 8), status="ok",
                      schools_total=4, schools_read=4),
            m.SyncRun(started_at=datetime(2026, 11, 22, 8, 30), finished_at=datetime(2026, 11, 22, 8, 31),
                      status="partial", trigger="clock", schools_total=4, schools_read=1, schools_unchanged=2,
                      schools_failed=1,
                      head_findings=[make_finding("type", sheet="Школы", row=3, column="E-mail", column_key="email",
                                                  address="D3", value="petrova.anna@@school1",
                                                  expected="адрес эл. почты").as_dict()])]
    session.add_all(runs)
    session.flush()

    def submit(school, key, *, ready=False, errors=0, warnings=0, has_data=False, first=None, versions=()):
        submission = m.Submission(school_id=schools[school].id, collection_id=collections[key].id, ready=ready,
                                  errors=errors, warnings=warnings, has_data=has_data,
                                  first_submitted_at=_when(first) if first else None, version=len(versions),
                                  changed_at=_when("2026-11-01") if versions else None)
        session.add(submission)
        session.flush()
        for number, (rows, computed) in enumerate(versions, start=1):
            session.add(m.SubmissionVersion(submission_id=submission.id, version=number, data_hash=f"h{number}",
                                            rows=rows, computed=computed, ready=ready, errors=errors,
                                            created_at=_when("2026-10-01"), run_id=runs[0].id))

    submit("sch01", "staffing", ready=True, has_data=True, first="2026-09-25", versions=[(STAFFING_ROWS["sch01"], {})])
    submit("sch02", "staffing", ready=True, has_data=True, first="2026-10-03", versions=[(STAFFING_ROWS["sch02"], {})])
    submit("sch03", "staffing", ready=True, errors=3, has_data=True,
           versions=[([{"_row": 6, "full_name": "Орлова Нина Викторовна", "rate": 3, "email": "orlova-at-mail"}], {})])
    submit("sch01", "textbook_provision", ready=True, has_data=True, first="2026-09-30",
           versions=[(PROVISION_ROWS["sch01"], {"provision_pct": [96.0, 100.0]})])
    submit("sch02", "textbook_provision", has_data=True, errors=1, versions=[([], {})])
    submit("sch04", "textbook_provision", ready=True, has_data=True, first="2026-09-29",
           versions=[(PROVISION_ROWS["sch04"], {"provision_pct": [102.9]})])
    # sch01's library fund has two versions: the district figures use the newest.
    submit("sch01", "library_fund", ready=True, has_data=True, first="2026-11-20", warnings=1,
           versions=[([{**FUND["sch01"], "fund_total": 11000}], {}), ([FUND["sch01"]], {"coverage": 83.3})])
    submit("sch02", "library_fund", has_data=True, versions=[([FUND["sch02"]], {"coverage": 75.0})])
    submit("sch04", "library_fund", ready=True, errors=1)
    submit("sch01", "event_report.month", ready=True, has_data=True, first="2026-11-05",
           versions=[([{"_row": 5, "date": "2026-10-15", "title": "Книжная выставка", "participants": 40}], {})])
    # sch03's last good read (21.11) stored every collection of the plan, as a sync does:
    # its statuses rest on that read, not «нет данных».
    for key in ("textbook_provision", "event_report.month", "library_fund", "textbook_exchange"):
        submit("sch03", key)
    submit("sch01", "textbook_exchange", has_data=True)
    submit("sch02", "textbook_exchange", ready=True, has_data=True, first="2026-11-01")
    # Not active: must never count.
    session.add(m.Submission(school_id=schools["sch09"].id, collection_id=collections["staffing"].id, ready=True,
                             has_data=True, first_submitted_at=_when("2026-09-01")))

    def finding(school, key, f):
        session.add(m.FindingRecord(
            school_id=schools[school].id, collection_id=collections[key].id if key else None, code=f.code,
            severity=f.severity, form=f.form, sheet=f.sheet, row=f.row, column=f.column, column_key=f.column_key,
            address=f.address, message=f.message, hint=f.hint))

    staff = {"form": "staffing", "sheet": "Кадры"}
    finding("sch03", None, make_finding("unreadable-workbook", reason="файл повреждён"))
    finding("sch03", "staffing", make_finding("range", **staff, row=6, column="Ставка", column_key="rate",
                                              address="C6", value=3, bounds="от 0,25 до 2"))
    finding("sch03", "staffing", make_finding("type", **staff, row=6, column="Эл. почта", column_key="email",
                                              address="K6", value="orlova-at-mail", expected="адрес эл. почты",
                                              expected_hint="адрес вида name@example.ru"))
    finding("sch03", "staffing", make_finding("pattern", **staff, row=7, column="ФИО", column_key="full_name",
                                              address="A7", value="Орлова Н1на",
                                              pattern_message="ФИО пишется буквами, без цифр"))
    finding("sch03", "staffing", make_finding("duplicate-row", **staff, row=8, first_row=6,
                                              keys="Орлова Нина Викторовна"))
    finding("sch03", "staffing", make_finding("required", **staff, row=7, column="Телефон", column_key="phone",
                                              address="J7"))
    finding("sch04", "library_fund", make_finding("empty-form", form="library_fund", sheet="Фонд"))
    finding("sch01", "library_fund", make_finding("rule-warning", form="library_fund", sheet="Фонд", row=9,
                                                  rule_message="Мало читателей", left_text="500", op_text="<",
                                                  right_text="600", columns="Читателей"))

    session.add(m.WorkbookState(school_id=schools["sch03"].id, workbook_id="sch03.xlsx",
                                error="нет книги «sch03.xlsx»", error_at=datetime(2026, 11, 22, 8, 30),
                                last_ok_at=_when("2026-11-21", 8)))
    session.add(m.WorkbookState(school_id=schools["sch01"].id, workbook_id="sch01.xlsx",
                                last_ok_at=datetime(2026, 11, 22, 8, 30)))
    for school in ("sch01", "sch02", "sch03", "sch04"):
        outcome = "failed" if school == "sch03" else "read" if school == "sch01" else "unchanged"
        session.add(m.SyncOutcome(run_id=runs[1].id, school_id=schools[school].id, outcome=outcome,
                                  error="нет книги «sch03.xlsx»" if outcome == "failed" else None))
    session.add_all([
        m.PlanEvent(academic_year=YEAR, title="Заседание ОМО № 1: итоги года, план работы", date=date(2026, 8, 28)),
        m.PlanEvent(academic_year=YEAR, title="Международный месячник школьных библиотек", date=date(2026, 10, 1),
                    campaign="Месячник школьных библиотек"),
        m.PlanEvent(academic_year=YEAR, title="Семинар «Обеспеченность учебниками»", date=date(2026, 11, 12)),
        m.PlanEvent(academic_year=YEAR, title="Вебинар в Сферуме: ФПУ и заказ учебников", date=date(2026, 12, 10)),
        m.PlanEvent(academic_year=YEAR, title="Консультации по запросу", date=None),
        m.PlanEvent(academic_year="2025/2026", title="Заседание прошлого года", date=date(2026, 3, 1)),
    ])
    for run, at, rate, on_time in ((runs[0], datetime(2026, 9, 26, 8), 25.0, 25.0),
                                   (runs[1], datetime(2026, 10, 4, 8), 50.0, 25.0)):
        session.add(m.RateSnapshot(run_id=run.id, collection_id=collections["staffing"].id, at=at, expected=4,
                                   reporting_rate=rate, on_time_rate=on_time))


def build_app(folder: Path, *, data: bool = True, now: datetime = NOW, database_url: str | None = None,
             config: dict | None = None, **settings):
    """The real app over a fresh database in ``folder``: migrated, filled with the
    district when ``data``, with a fixed clock and any ``settings`` overrides."""
    url = database_url or f"sqlite:///{folder / 'svod.db'}"
    svod = make_svod(folder, now=now, migrate=database_url is None, database_url=url, workbooks_dir=folder,
                     **settings)
    if database_url is None and data:
        with svod.db.session() as session:
            populate(session)
    return app_of(svod, **(config or {}))


@pytest.fixture
def make_app(tmp_path):
    """``make_app(**options)``: a fresh app of :func:`build_app` in its own folder."""
    made = []

    def factory(**options):
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        made.append(build_app(folder, **options))
        return made[-1]
    yield factory
    for app in made:
        app.extensions["svod"].dispose()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The district app, shared by the read-only tests of a module."""
    app = build_app(tmp_path_factory.mktemp("district"))
    yield app
    app.extensions["svod"].dispose()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture
def personal() -> list[str]:
    return list(PERSONAL)
