"""The migrations alone build the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.conftest import make_config


def _diff(app):
    with app.app_context(), db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


def test_upgrade_from_empty_reaches_the_models(empty_db_url):
    app = create_app(make_config(empty_db_url))
    with app.app_context():
        upgrade()
    assert _diff(app) == []


def test_downgrade_and_upgrade_round_trip(empty_db_url):
    app = create_app(make_config(empty_db_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert _diff(app) == []
    with app.app_context():
        db.engine.dispose()
