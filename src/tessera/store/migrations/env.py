"""Alembic environment. Tessera runs migrations itself at ``Store.open()`` and hands the
open connection over in ``config.attributes["connection"]``; there is no alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tessera.store.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError(
        "Tessera's migrations run from Store.open(), which passes an open connection; "
        "start Tessera (or open a Store) to upgrade the database."
    )
run_migrations(_connection)
