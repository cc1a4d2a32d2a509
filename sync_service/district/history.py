"""Last year beside this year on a school's and a collection's page: the same facts, one year
earlier, read as the pages of that year read them (the database keeps every year)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service.district.report import cell_dict, iso, plan_collections, submission_facts


def school_year(session: Session, code: str, *, academic_year: str, now: datetime) -> dict | None:
    """A school's collections of ``academic_year`` with their statuses; None when the
    database holds nothing of that year."""
    school = session.scalar(select(m.School).where(m.School.code == code))
    collections = plan_collections(session, academic_year)
    if school is None or not collections:
        return None
    facts = submission_facts(session, [school.id], [c.id for c in collections])
    return {"academic_year": academic_year, "generated_at": iso(now),
            "collections": [{**cell_dict(school, c, facts.get((school.id, c.id)), now.date()), "title": c.title,
                             "deadline": iso(c.deadline)} for c in collections]}
