"""Alembic's environment for the acquirer's store: run on the connection the Store hands over
(config.attributes["connection"]), or from the command line on the database `-x db=PATH_OR_URL` names."""

from alembic import context
from sqlalchemy import text

from tools.acquirer import accounts, schema, store  # noqa: F401  accounts: the back-office's tables join schema.metadata

# Two acquirers opening one new PostgreSQL database at once: the second waits here for the first's
# migrations, then finds them done. (SQLite's BEGIN IMMEDIATE already serialises the two.)
_MIGRATION_LOCK = 8583


def _run(connection):
    # SQLite's DDL is transactional too (Alembic assumes not): the whole upgrade commits or none of it.
    context.configure(connection=connection, target_metadata=schema.metadata, transactional_ddl=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = store.make_engine(context.get_x_argument(as_dictionary=True)["db"])
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
