"""The Alembic migrations build exactly the tables the models declare, in one line of history."""
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
