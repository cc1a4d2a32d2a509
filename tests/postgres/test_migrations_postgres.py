"""The Alembic migrations on a real PostgreSQL build exactly the tables the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import sync_service.models_registry  # noqa: F401  (every module's tables)
from sync_service.db import Base, alembic_config, upgrade


def test_upgrade_head_has_no_difference_from_the_models(postgres_url):
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            heads = ScriptDirectory.from_config(alembic_config(postgres_url)).get_heads()
            assert set(MigrationContext.configure(connection).get_current_heads()) == set(heads)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        upgrade(postgres_url)  # a second upgrade is a no-op
    finally:
        engine.dispose()


def test_stored_row_dicts_become_columns_on_postgresql(postgres_url):
    from tests.core.test_migrations import check_columnar_migration

    check_columnar_migration(postgres_url)
