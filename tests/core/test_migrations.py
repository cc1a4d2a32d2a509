"""The Alembic migrations build exactly the tables the models declare, in one line of history."""
from datetime import date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import sync_service.models_registry  # noqa: F401  (every module's tables)
from sync_service.db import Base, alembic_config, upgrade


def test_one_head_and_no_difference_from_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'svod.db'}"
    assert len(ScriptDirectory.from_config(alembic_config(url)).get_heads()) == 1
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert {"schools", "submissions", "submission_versions", "sync_runs", "fpu_lists", "job_runs"} <= set(
        inspect(engine).get_table_names())
    upgrade(url)  # a second upgrade is a no-op


def test_stored_row_dicts_become_columns_with_the_digest_a_sync_now_computes(tmp_path):
    """Revision 0004 rewrites the versions stored as row dicts: the columns a parse gives
    today, and today's digest (so the first sync after the upgrade makes no new versions);
    its downgrade gives back exactly what was stored."""
    check_columnar_migration(f"sqlite:///{tmp_path / 'svod.db'}")


def check_columnar_migration(url: str) -> None:
    """The check above on the database at ``url`` (empty); also run on PostgreSQL."""
    import hashlib
    import json

    from alembic import command
    from sqlalchemy import JSON, Boolean, DateTime, Integer, String, column, insert, select, table
    from sqlalchemy.orm import Session

    from sync_service import db as m
    from sync_service.db import json_safe
    from sync_service.forms.schema import load_schema
    from sync_service.forms.validation import data_hash, parse_form
    from sync_service.stores.base import Sheet

    forms = load_schema().forms
    staffing, fund = forms["staffing"], forms["library_fund"]
    tabs = [
        (staffing, Sheet(staffing.tab, [["Готово", True], [], [], [c.label for c in staffing.columns],
                                        ["Иванова Анна", "Заведующий библиотекой", 1, "Высшее библиотечное", 20, 15,
                                         "Высшая", 2024, date(1975, 3, 4), "+7 916 123-45-67", "a@school.ru"],
                                        ["Петрова Ольга", "Библиотекарь", 0.5, "Среднее общее", 3, 2, "Без категории",
                                         None, None, None, None]])),
        (fund, Sheet(fund.tab, [["Готово", False]])),  # nothing typed: no rows
    ]
    config = alembic_config(url)
    command.upgrade(config, "0003_fpu")
    versions = table("submission_versions", column("id", Integer), column("submission_id", Integer),
                     column("version", Integer), column("rows", JSON), column("computed", JSON),
                     column("ready", Boolean), column("errors", Integer), column("data_hash", String),
                     column("created_at", DateTime))
    submissions = table("submissions", *(column(name) for name in (
        "school_id", "collection_id", "version", "present", "ready", "has_data", "errors", "warnings")))
    engine = create_engine(url)
    with Session(engine) as session, session.begin():  # the rows the versions belong to (same tables at 0003)
        school = m.School(code="sch01", name="Школа №1")
        session.add(school)
        for form, _ in tabs:
            collection = m.Collection(key=form.key, academic_year="2026/2027", form=form.key, tab=form.tab,
                                      title=form.title)
            session.add(collection)
            session.flush()
            # as the table was at 0003 (the model has columns of later revisions)
            session.execute(insert(submissions).values(school_id=school.id, collection_id=collection.id, version=1,
                                                       present=True, ready=False, has_data=False, errors=0,
                                                       warnings=0))
    results, stored = [], []
    for number, (form, sheet) in enumerate(tabs, start=1):
        result = parse_form(form, sheet, tab=form.tab)
        rows = json_safe(result.rows)  # as versions were stored before 0004
        payload = json.dumps({"ready": result.ready, "rows": [{k: v for k, v in r.items() if k != "_row"} for r in rows]},
                             sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        stored.append((rows, hashlib.sha256(payload.encode("utf-8")).hexdigest()))
        results.append(result)
        with engine.begin() as connection:
            connection.execute(insert(versions).values(id=number, submission_id=number, version=1, rows=rows,
                                                       computed={}, ready=result.ready, errors=0,
                                                       data_hash=stored[-1][1], created_at=datetime(2026, 9, 1)))
    assert len(results[0].table) == 2 and not results[1].has_data
    command.upgrade(config, "head")
    with engine.connect() as connection:
        now = connection.execute(select(versions.c.rows, versions.c.data_hash).order_by(versions.c.id)).all()
    assert [tuple(row) for row in now] == [(r.table.to_json() if r.has_data else {"columns": {}, "rows": []},
                                            data_hash(r)) for r in results]
    command.downgrade(config, "0003_fpu")
    with engine.connect() as connection:
        back = connection.execute(select(versions.c.rows, versions.c.data_hash).order_by(versions.c.id)).all()
    assert [tuple(row) for row in back] == stored
    engine.dispose()
