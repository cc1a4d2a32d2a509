"""«Анализ работы ОМО ШБ за год»: the figures of the head's June analysis, from what is stored.

For one academic year and the year before it: reporting discipline per collection and per
school (DHIS2's reporting and on-time rates), the library fund, the annual report's counts
and the standard library ratios, staffing, provision with textbooks by grade, the events
of each campaign and the contests. Every figure is computed with pandas from the schools'
newest snapshots (the same data the consolidated workbook shows); nothing personal is in
it — staff and contest participants are counted, never named.

:func:`annual_figures` returns plain values (:class:`Annual`: tables as lists of rows,
numbers unformatted); :mod:`sync_service.district.annual_docs` makes the .docx and .xlsx.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service import ru
from sync_service.district.registry import shifted_year
from sync_service.district.report import build_report
from sync_service.district.status import (
    ACCEPTED,
    ACCEPTED_LATE,
    OVERDUE,
    RETURNED,
    SENT_BACK,
    SUBMITTED,
    SUBMITTED_LATE,
)
from sync_service.forms.table import Table

FUND_KEYS = ("fund_total", "fund_textbooks", "fund_fiction", "fund_reference", "received", "written_off")
WORK_KEYS = ("students", "readers", "visits", "loans", "events", "event_participants")


@dataclass
class Section:
    """One section of the analysis: a heading, a few sentences, tables (header + rows)."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)   # (caption, header, rows)
    chart: dict | None = None   # {"kind": "bars", "title", "labels", "series": {name: values}, "unit"}


@dataclass
class Annual:
    year: str
    previous: str
    schools: int
    made_at: datetime
    sections: list[Section] = field(default_factory=list)
    # the key figures, for the tests and the comparison section: name -> (this year, last year)
    key: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def snapshots(session: Session, year: str) -> pd.DataFrame:
    """One row per (school, collection) of ``year`` with a stored snapshot: the school, the
    collection's key and form, and its table."""
    query = (select(m.School.code, m.School.name, m.Collection.key, m.Collection.form, m.Collection.campaign,
                    m.SubmissionVersion.rows)
             .join(m.Submission, m.Submission.school_id == m.School.id)
             .join(m.Collection, m.Collection.id == m.Submission.collection_id)
             .join(m.SubmissionVersion, (m.SubmissionVersion.submission_id == m.Submission.id)
                   & (m.SubmissionVersion.version == m.Submission.version))
             .where(m.Collection.academic_year == year, m.School.in_registry, m.School.active))
    rows = [{"school": code, "name": name, "collection": key, "form": form, "campaign": campaign,
             "table": Table.from_json(stored)} for code, name, key, form, campaign, stored in session.execute(query)]
    return pd.DataFrame(rows, columns=["school", "name", "collection", "form", "campaign", "table"])


def records(shots: pd.DataFrame, form: str) -> pd.DataFrame:
    """A record form's snapshots as one row per school, one column per field."""
    chosen = shots[shots["form"] == form]
    rows = [{"school": s, **{k: (v[0] if v else None) for k, v in t.columns.items()}}
            for s, t in zip(chosen["school"], chosen["table"])]
    frame = pd.DataFrame(rows)
    return frame.set_index("school") if not frame.empty else pd.DataFrame()


def table_rows(shots: pd.DataFrame, form: str) -> pd.DataFrame:
    """A table form's snapshots as one row per data row, with the school (and campaign)."""
    chosen = shots[shots["form"] == form]
    frames = [pd.DataFrame(t.columns).assign(school=s, campaign=c)
              for s, c, t in zip(chosen["school"], chosen["campaign"], chosen["table"]) if len(t)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column's numbers (text, bools and blanks as missing)."""
    if frame.empty or column not in frame:
        return pd.Series(dtype=float)
    values = frame[column].map(lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
    return pd.to_numeric(values, errors="coerce")


def total(frame: pd.DataFrame, column: str) -> float | None:
    values = numeric(frame, column).dropna()
    return float(values.sum()) if len(values) else None


def ratio(a: float | None, b: float | None, scale: float = 1.0) -> float | None:
    return None if a is None or not b else a / b * scale


def change(now: float | None, before: float | None, *, points: bool = False) -> float | None:
    """The change in percent of last year's value; ``points``: of a value that is a percentage
    already, the difference in percentage points."""
    if now is None or before is None:
        return None
    if points:
        return now - before
    return None if not before else (now - before) / before * 100


def plain(value: Any) -> Any:
    """A pandas or numpy scalar as the Python number it is (None for a missing one)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


# --- the sections -------------------------------------------------------------------------------

def discipline(session: Session, year: str, previous: str, now: datetime) -> tuple[Section, dict]:
    report = build_report(session, academic_year=year, now=now)
    last = build_report(session, academic_year=previous, now=now)
    cells = pd.DataFrame(report["submissions"], columns=["school", "collection", "status"])
    names = {s["code"]: s["name"] for s in report["schools"]}
    rows = []
    for c in report["collections"]:
        statuses = cells.loc[cells["collection"] == c["key"], "status"].value_counts()
        rows.append([c["title"], c.get("deadline"), c["expected"], _count(statuses, SUBMITTED, ACCEPTED),
                     _count(statuses, SUBMITTED_LATE, ACCEPTED_LATE), _count(statuses, RETURNED, SENT_BACK),
                     int(statuses.get(OVERDUE, 0)), c["reporting_rate"], c["on_time_rate"],
                     _count(statuses, ACCEPTED, ACCEPTED_LATE)])
    by_school = []
    if not cells.empty:
        counts = cells.pivot_table(index="school", columns="status", aggfunc="size", fill_value=0)
        for code in sorted(counts.index):
            line = counts.loc[code]
            by_school.append([code, names.get(code, code), _count(line, SUBMITTED, ACCEPTED),
                              _count(line, SUBMITTED_LATE, ACCEPTED_LATE), _count(line, RETURNED, SENT_BACK),
                              int(line.get(OVERDUE, 0)), len(report["collections"])])
    mean = _mean([c["reporting_rate"] for c in report["collections"]])
    on_time = _mean([c["on_time_rate"] for c in report["collections"]])
    last_mean = _mean([c["reporting_rate"] for c in last["collections"]])
    last_on_time = _mean([c["on_time_rate"] for c in last["collections"]])
    section = Section("Исполнительская дисциплина")
    section.tables.append(("Сдача отчётов и мониторингов по сборам",
                           ["Сбор", "Срок сдачи", "Школ", "Сдано вовремя", "Сдано позже срока", "Вернули",
                            "Не сдано", "Доля сдавших, %", "Вовремя, %", "Принято руководителем"], rows))
    section.tables.append(("Сдача по школам", ["Код", "Школа", "Вовремя", "С опозданием", "Возвращено",
                                                "Просрочено", "Всего сборов"], by_school))
    section.chart = {"title": "Доля сдавших по сборам, %", "labels": [r[0] for r in rows],
                     "series": {year: [r[7] for r in rows]}, "unit": "%"}
    return section, {"Средняя доля сдавших, %": (mean, last_mean), "Средняя доля сдавших вовремя, %": (on_time, last_on_time)}


def _count(counts, *statuses: str) -> int:
    """How many of ``statuses`` a count per status holds (a pandas Series or a row of counts);
    accepted ones count with the submitted (on time or late), returned by the head with returned."""
    return sum(int(counts.get(status, 0)) for status in statuses)


def _schools(count: int) -> str:
    return ru.quantity(count, "школа", "школы", "школ")


def _mean(values: list[float]) -> float | None:
    return float(pd.Series(values, dtype=float).mean()) if values else None


LABELS = {"fund_total": "Фонд всего, экз.", "fund_textbooks": "Учебники, экз.",
          "fund_fiction": "Художественная литература, экз.", "fund_reference": "Справочные издания, экз.",
          "received": "Поступило за год, экз.", "written_off": "Выбыло за год, экз.",
          "students": "Обучающихся", "readers": "Читателей", "visits": "Посещений", "loans": "Книговыдача, экз.",
          "events": "Массовых мероприятий", "event_participants": "Участников мероприятий"}


def comparison_rows(now: pd.DataFrame, before: pd.DataFrame, keys: tuple[str, ...]) -> tuple[list[list], dict]:
    rows, key = [], {}
    for k in keys:
        a, b = total(now, k), total(before, k)
        rows.append([LABELS[k], a, b, change(a, b)])
        key[LABELS[k]] = (a, b)
    return rows, key


def fund(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str) -> tuple[Section, dict]:
    now, before = records(shots, "library_fund"), records(last, "library_fund")
    rows, key = comparison_rows(now, before, FUND_KEYS)
    section = Section("Библиотечный фонд")
    section.text.append(f"Данные мониторинга библиотечного фонда: {_schools(len(now))} в {year} учебном году, "
                        f"{_schools(len(before))} — в {previous}.")
    section.tables.append(("Фонд района", ["Показатель", year, previous, "Изменение, %"], rows))
    per_school = []
    for code in sorted(set(now.index) | set(before.index)):
        a = plain(numeric(now.loc[[code]], "fund_total").sum()) if code in now.index else None
        b = plain(numeric(before.loc[[code]], "fund_total").sum()) if code in before.index else None
        per_school.append([code, a, b, change(a, b)])
    section.tables.append(("Фонд по школам, экз.", ["Школа", year, previous, "Изменение, %"], per_school))
    section.chart = {"title": "Фонд района, экз.", "labels": [r[0] for r in rows[:4]],
                     "series": {year: [r[1] or 0 for r in rows[:4]], previous: [r[2] or 0 for r in rows[:4]]},
                     "unit": "экз."}
    return section, key


def work(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str) -> tuple[Section, dict]:
    now, before = records(shots, "annual_report"), records(last, "annual_report")
    rows, key = comparison_rows(now, before, WORK_KEYS)
    ratios = []
    for label, a_key, b_key, scale in (("Читаемость (книговыдача ÷ читатели)", "loans", "readers", 1),
                                       ("Посещаемость (посещения ÷ читатели)", "visits", "readers", 1),
                                       ("Обращаемость фонда (книговыдача ÷ фонд)", "loans", "fund_total", 1),
                                       ("Книгообеспеченность (фонд ÷ читатели)", "fund_total", "readers", 1),
                                       ("Охват чтением, % (читатели ÷ обучающиеся)", "readers", "students", 100)):
        a = ratio(total(now, a_key), total(now, b_key), scale)
        b = ratio(total(before, a_key), total(before, b_key), scale)
        ratios.append([label, a, b, change(a, b)])
        key[label] = (a, b)
    section = Section("Основные показатели работы библиотек")
    section.text.append(f"По годовым отчётам школьных библиотек: "
                        f"{ru.quantity(len(now), 'отчёт', 'отчёта', 'отчётов')} за {year} учебный год, "
                        f"{ru.quantity(len(before), 'отчёт', 'отчёта', 'отчётов')} за {previous}.")
    section.tables.append(("Показатели района", ["Показатель", year, previous, "Изменение, %"], rows))
    section.tables.append(("Библиотечные коэффициенты района", ["Коэффициент", year, previous, "Изменение, %"], ratios))
    return section, key


def staffing(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str) -> tuple[Section, dict]:
    now, before = table_rows(shots, "staffing"), table_rows(last, "staffing")
    people = (len(now), len(before))
    rates = (total(now, "rate"), total(before, "rate"))
    rows = [["Работников библиотек", *people, change(*people)], ["Ставок, всего", *rates, change(*rates)]]
    by_education = []
    levels = sorted(set(now.get("education", pd.Series(dtype=object)).dropna())
                    | set(before.get("education", pd.Series(dtype=object)).dropna()))
    for level in levels:
        a = int((now["education"] == level).sum()) if "education" in now else 0
        b = int((before["education"] == level).sum()) if "education" in before else 0
        by_education.append([level, a, b])
    section = Section("Кадровое обеспечение")
    section.tables.append(("Кадры района", ["Показатель", year, previous, "Изменение, %"], rows))
    if by_education:
        section.tables.append(("Образование работников", ["Образование", year, previous], by_education))
    return section, {"Работников библиотек": people, "Ставок, всего": rates}


def provision(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str) -> tuple[Section, dict]:
    now, before = table_rows(shots, "textbook_provision"), table_rows(last, "textbook_provision")

    def by_grade(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=["students", "copies"])
        data = pd.DataFrame({"grade": numeric(frame, "grade"), "students": numeric(frame, "students"),
                             "copies": numeric(frame, "copies")}).dropna(subset=["grade"])
        return data.groupby("grade")[["students", "copies"]].sum()

    grades_now, grades_before = by_grade(now), by_grade(before)
    rows = []
    for grade in sorted(set(grades_now.index) | set(grades_before.index)):
        s = grades_now["students"].get(grade) if grade in grades_now.index else None
        c = grades_now["copies"].get(grade) if grade in grades_now.index else None
        b = (ratio(grades_before["copies"].get(grade), grades_before["students"].get(grade), 100)
             if grade in grades_before.index else None)
        s, c = plain(s), plain(c)
        rows.append([int(grade), s, c, ratio(c, s, 100), plain(b)])
    overall = (ratio(total(now, "copies"), total(now, "students"), 100),
               ratio(total(before, "copies"), total(before, "students"), 100))
    section = Section("Обеспеченность учебниками")
    section.text.append("Обеспеченность — учебники в фонде школ на число обучающихся по классам и предметам.")
    section.tables.append(("Обеспеченность по классам", ["Класс", "Обучающихся", "Учебников, экз.",
                                                          f"Обеспеченность {year}, %", f"Обеспеченность {previous}, %"],
                           rows))
    section.chart = {"title": "Обеспеченность учебниками по классам, %", "labels": [f"{r[0]} кл." for r in rows],
                     "series": {year: [r[3] or 0 for r in rows], previous: [r[4] or 0 for r in rows]}, "unit": "%"}
    return section, {"Обеспеченность учебниками, %": overall}


def events(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str,
           campaigns: dict[str, str]) -> tuple[Section, dict]:
    now, before = table_rows(shots, "event_report"), table_rows(last, "event_report")
    rows = []
    for code, title in campaigns.items():
        part = now[now["campaign"] == code] if not now.empty else now
        old = before[before["campaign"] == code] if not before.empty else before
        rows.append([title, part["school"].nunique() if len(part) else 0, len(part), total(part, "participants"),
                     len(old), total(old, "participants")])
    counts = (len(now), len(before))
    section = Section("Мероприятия")
    section.tables.append(("Мероприятия по кампаниям", ["Кампания", "Школ", f"Мероприятий {year}",
                                                         f"Участников {year}", f"Мероприятий {previous}",
                                                         f"Участников {previous}"], rows))
    return section, {"Мероприятий по кампаниям": counts}


def contests(shots: pd.DataFrame, last: pd.DataFrame, year: str, previous: str) -> tuple[Section, dict]:
    now, before = table_rows(shots, "contest_results"), table_rows(last, "contest_results")
    rows = []
    names = sorted(set(now.get("contest", pd.Series(dtype=object)).dropna())
                   | set(before.get("contest", pd.Series(dtype=object)).dropna()))
    for name in names:
        part = now[now["contest"] == name] if "contest" in now else now.iloc[0:0]
        winners = int(part["result"].isin(["Победитель", "Призёр", "Лауреат"]).sum()) if "result" in part else 0
        old = before[before["contest"] == name] if "contest" in before else before.iloc[0:0]
        rows.append([name, part["school"].nunique() if len(part) else 0, len(part), winners, len(old)])
    section = Section("Конкурсы")
    section.tables.append(("Участие в конкурсах", ["Конкурс", "Школ", f"Участников {year}",
                                                    "Победителей, призёров и лауреатов", f"Участников {previous}"], rows))
    return section, {"Участников конкурсов": (len(now), len(before))}


def annual_figures(session: Session, *, year: str, now: datetime, campaigns: dict[str, str]) -> Annual:
    """Every section of the analysis of ``year``, each beside the year before."""
    previous = shifted_year(year, -1)
    shots, last = snapshots(session, year), snapshots(session, previous)
    schools = session.scalar(select(func.count()).select_from(m.School).where(m.School.in_registry,
                                                                                 m.School.active)) or 0
    annual = Annual(year, previous, schools, now)
    for section, key in (discipline(session, year, previous, now), fund(shots, last, year, previous),
                         work(shots, last, year, previous), staffing(shots, last, year, previous),
                         provision(shots, last, year, previous), events(shots, last, year, previous, campaigns),
                         contests(shots, last, year, previous)):
        annual.sections.append(section)
        annual.key.update(key)
    summary = Section("Сравнение с прошлым годом")
    summary.text.append("Изменение — в процентах прошлогоднего значения; для показателей в процентах — "
                        "в процентных пунктах.")
    summary.tables.append(("Главные показатели", ["Показатель", year, previous, "Изменение, % (п. п.)"],
                           [[name, plain(a), plain(b), change(a, b, points="%" in name)]
                            for name, (a, b) in annual.key.items()]))
    annual.sections.append(summary)
    return annual
