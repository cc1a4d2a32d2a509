"""Provision with textbooks (обеспеченность): copies ÷ students × 100 per school, grade and
subject, the district summary per grade × subject, and the shortages. Pure."""
from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync_service.order.common import MissingSchool, SchoolRows, missing_line, table_tab
from sync_service.stores.base import TabSpec

# Not «Обеспеченность»: that is the consolidated tab of the textbook_provision form, beside it.
PROVISION_TAB = "Обеспеченность — итоги"


def percent(copies: int, students: int) -> float | None:
    """None when there are no students (nothing to provide for)."""
    return round(copies / students * 100, 1) if students > 0 else None


@dataclass(frozen=True, slots=True)   # one per school, grade and subject: 3 000 schools make 200 000
class ProvisionLine:
    school: str
    school_name: str
    grade: int
    subject: str
    students: int
    copies: int

    @property
    def percent(self) -> float | None:
        return percent(self.copies, self.students)

    @property
    def shortage(self) -> int:
        """Copies missing to reach 100 %."""
        return max(0, self.students - self.copies)


@dataclass(frozen=True)
class ProvisionSummary:
    grade: int
    subject: str
    schools: int
    students: int
    copies: int

    @property
    def percent(self) -> float | None:
        return percent(self.copies, self.students)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def provision_lines(schools: Sequence[SchoolRows]) -> list[ProvisionLine]:
    """One line per school, grade and subject (rows repeating a grade and subject summed);
    rows without grade, subject, students or copies are left out."""
    lines: list[ProvisionLine] = []
    for school in schools:
        sums: dict[tuple[int, str], list[int]] = {}
        for row in school.rows:
            grade, subject = row.get("grade"), sys.intern((row.get("subject") or "").strip())
            students, copies = _count(row.get("students")), _count(row.get("copies"))
            if not isinstance(grade, int) or not subject or students is None or copies is None:
                continue
            pair = sums.setdefault((grade, subject), [0, 0])
            pair[0] += students
            pair[1] += copies
        lines.extend(ProvisionLine(school.code, school.name, grade, subject, students, copies)
                     for (grade, subject), (students, copies) in sorted(sums.items()))
    return lines


def district_summary(lines: Sequence[ProvisionLine]) -> list[ProvisionSummary]:
    """Per grade × subject over all schools."""
    sums: dict[tuple[int, str], list] = defaultdict(lambda: [set(), 0, 0])
    for line in lines:
        item = sums[(line.grade, line.subject)]
        item[0].add(line.school)
        item[1] += line.students
        item[2] += line.copies
    return [ProvisionSummary(grade, subject, len(schools), students, copies)
            for (grade, subject), (schools, students, copies) in sorted(sums.items())]


def shortages(lines: Sequence[ProvisionLine], threshold: float = 100.0) -> list[ProvisionLine]:
    """Lines below ``threshold`` %, largest shortage first."""
    short = [line for line in lines if line.percent is not None and line.percent < threshold]
    return sorted(short, key=lambda line: (-line.shortage, line.school, line.grade, line.subject))


def provision_tab(lines: Sequence[ProvisionLine], missing: Sequence[MissingSchool] = (), *,
                  academic_year: str = "") -> TabSpec:
    """«Обеспеченность — итоги»: the district summary, then the shortages by school."""
    summary = district_summary(lines)
    header = ["Класс", "Предмет", "Школ", "Обучающихся", "Учебников, экз.", "Обеспеченность, %", "Не хватает, экз."]
    body: list[list[Any]] = [[s.grade, s.subject, s.schools, s.students, s.copies, s.percent,
                              max(0, s.students - s.copies)] for s in summary]
    total_students, total_copies = sum(s.students for s in summary), sum(s.copies for s in summary)
    body.append(["Итого", "", len({line.school for line in lines}), total_students, total_copies,
                 percent(total_copies, total_students), sum(line.shortage for line in lines)])
    bold = [len(body) - 1]
    short = shortages(lines)
    body += [[], ["Нехватка по школам (меньше 100 %)"], ["Код школы", "Школа", "Класс", "Предмет", "Обучающихся",
                                                        "Учебников, экз.", "Обеспеченность, %", "Не хватает, экз."]]
    bold += [len(body) - 2, len(body) - 1]
    body += [[line.school, line.school_name, line.grade, line.subject, line.students, line.copies, line.percent,
              line.shortage] for line in short] or [["нехватки нет"]]
    title = "Обеспеченность обучающихся учебниками" + (f", {academic_year}" if academic_year else "")
    top = missing_line(missing, "не сдали мониторинг обеспеченности") + [[title]]
    return table_tab(PROVISION_TAB, top, header, body, totals=bold, widths={2: 30, 4: 12, 5: 14, 6: 14, 7: 14})
