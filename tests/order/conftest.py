"""Fixtures of the order tests: a small literal federal list, the shipped sample list,
and a migrated SQLite database with a district's stored order snapshots (``seed``).

The literal list (orders are collected in 2026/2027, for 2027/2028 from 01.09.2027):

| code | title | grades | publisher | valid until |
|---|---|---|---|---|
| 1.1.2.1.1.1 | Русский язык | 5 | Просвещение | — |
| 1.1.2.1.1.2 | Русский язык | 6 | Просвещение | — |
| 1.1.2.3.1.1 | Алгебра | 7–9 | Просвещение | 31.08.2028 |
| 1.1.2.3.2.1 | Математика | 5 | Вентана-Граф | — |
| 1.1.2.5.1.1 | Физика | 7 | Дрофа | 31.08.2027 (expired for the order) |
| 1.1.2.6.1.1 | Английский язык. Rainbow English | 5 | Дрофа | — |
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from sync_service import db as m
from sync_service.db import Database
from sync_service.order.fpu import FpuEntry, FpuIndex, read_fpu_file, sample_fpu_path

YEAR = "2026/2027"
NOW = datetime(2027, 3, 10, 9, 0)
PROS = "АО «Издательство «Просвещение»"
VENT = "ООО «Издательский центр ВЕНТАНА-ГРАФ»"
DROFA = "ООО «ДРОФА»"

ENTRIES = [
    FpuEntry("1.1.2.1.1.1", "Русский язык (в 2 частях)", "Ладыженская Т.А., Баранов М.Т.", (5,), PROS, None,
             "Русский язык"),
    FpuEntry("1.1.2.1.1.2", "Русский язык (в 2 частях)", "Ладыженская Т.А., Баранов М.Т.", (6,), PROS, None,
             "Русский язык"),
    FpuEntry("1.1.2.3.1.1", "Алгебра", "Макарычев Ю.Н., Миндюк Н.Г.", (7, 8, 9), PROS, date(2028, 8, 31), "Алгебра"),
    FpuEntry("1.1.2.3.2.1", "Математика", "Мерзляк А.Г., Полонский В.Б.", (5,), VENT, None, "Математика"),
    FpuEntry("1.1.2.5.1.1", "Физика", "Перышкин А.В.", (7,), DROFA, date(2027, 8, 31), "Физика"),
    FpuEntry("1.1.2.6.1.1", "Английский язык. Rainbow English", "Афанасьева О.В., Михеева И.В.", (5,), DROFA, None,
             "Иностранный язык (английский)"),
]


@pytest.fixture
def small_fpu() -> FpuIndex:
    return FpuIndex(ENTRIES, version=1, source="test")


@pytest.fixture(scope="session")
def sample_fpu() -> FpuIndex:
    read = read_fpu_file(sample_fpu_path())
    assert not read.findings
    return FpuIndex(read.entries, version=1, source="fpu_sample.csv")


@pytest.fixture
def database(svod_factory, tmp_path) -> Database:
    """The migrated database of the test factory's context in ``tmp_path``."""
    return svod_factory(tmp_path).db


def seed(db: Database, forms: dict[str, dict[str, dict]], schools: list[tuple[str, str]], *,
         deadline: date | None = date(2027, 2, 28)) -> None:
    """Schools and stored snapshots. ``forms``: form key -> school code -> {"rows": [...],
    "ready": bool, "errors": int, "blocked": [row numbers with an error finding],
    "submitted": datetime | None}."""
    with db.session() as session:
        ids = {}
        for code, name in schools:
            school = m.School(code=code, name=name, librarian="Петрова Анна Сергеевна", email=f"{code}@example.ru")
            session.add(school)
            session.flush()
            ids[code] = school.id
        for position, (form, by_school) in enumerate(forms.items()):
            collection = m.Collection(key=form, academic_year=YEAR, form=form, title=form, tab=form,
                                      deadline=deadline if form == "textbook_order" else None, position=position)
            session.add(collection)
            session.flush()
            for code, facts in by_school.items():
                submission = m.Submission(
                    school_id=ids[code], collection_id=collection.id, ready=facts.get("ready", True),
                    has_data=bool(facts.get("rows")), errors=facts.get("errors", len(facts.get("blocked", ()))),
                    version=1, first_submitted_at=facts.get("submitted", datetime(2027, 2, 1))
                    if facts.get("ready", True) and not facts.get("blocked") and not facts.get("errors") else None)
                session.add(submission)
                session.flush()
                session.add(m.SubmissionVersion(submission_id=submission.id, version=1, data_hash="x",
                                                rows=facts.get("rows", []), computed={}, ready=submission.ready,
                                                errors=submission.errors))
                for row in facts.get("blocked", ()):
                    session.add(m.FindingRecord(school_id=ids[code], collection_id=collection.id,
                                                code="fpu-unknown-code", severity="error", row=row,
                                                message="Кода нет", hint=""))


@pytest.fixture
def env():
    """The constants and helpers above, for test modules (conftest is not importable)."""
    from types import SimpleNamespace

    return SimpleNamespace(YEAR=YEAR, NOW=NOW, PROS=PROS, VENT=VENT, DROFA=DROFA, ENTRIES=ENTRIES, seed=seed)
