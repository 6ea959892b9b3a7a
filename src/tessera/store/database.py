"""Engine, connection pragmas, transactions and migrations.

SQLite: WAL journal, foreign keys on and a busy timeout on every connection. The sqlite3
driver's own transaction handling is switched off so that SQLAlchemy emits BEGIN itself:
reads run in ``BEGIN`` (a consistent snapshot), writes in ``BEGIN IMMEDIATE`` (they take the
write lock up front, so two writers never deadlock on a lock upgrade). Within one process
writes are also queued on an asyncio lock, so they wait on the event loop rather than in
SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import StaticPool

from tessera.errors import Conflict, StorageError

T = TypeVar("T")
Operation = Callable[[AsyncSession], Awaitable[T]]

MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"
SUPPORTED_BACKENDS: Final = ("sqlite", "postgresql")
BUSY_TIMEOUT_MS: Final = 5000
WRITE_ATTEMPTS: Final = 3
_BEGIN_MODE: Final = "tessera_sqlite_begin"
_BeginMode = Literal["DEFERRED", "IMMEDIATE"]


def parse_url(url: str) -> URL:
    """Parse and check a database URL; only SQLite and PostgreSQL are supported."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(
            f"The database URL {url!r} is not valid; use e.g. "
            "'sqlite+aiosqlite:////path/to/tessera.db' or "
            "'postgresql+asyncpg://user:password@host/tessera'."
        ) from exc
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StorageError(
            f"Database backend {parsed.get_backend_name()!r} is not supported; "
            "use SQLite ('sqlite+aiosqlite://...') or PostgreSQL ('postgresql+asyncpg://...')."
        )
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _make_parent_dir(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"Cannot create the folder {path.parent} for the database ({exc.strerror}); "
            "check its permissions or choose another data directory (TESSERA_DATA_DIR)."
        ) from exc


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN (see _on_sqlite_begin) instead of the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    mode: _BeginMode = connection.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine(url: URL) -> AsyncEngine:
    try:
        engine = _create_async_engine(url)
    except (NoSuchModuleError, ImportError) as exc:
        raise StorageError(
            f"The database driver for {url.drivername!r} is not installed; use "
            "'sqlite+aiosqlite://...' or install the driver (e.g. asyncpg for PostgreSQL)."
        ) from exc
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _unavailable(exc: OperationalError) -> StorageError:
    return StorageError(
        f"The database is unavailable or busy ({exc.orig}). Check that the database is "
        "reachable and its folder writable, then try again."
    )


class Database:
    """An engine plus the two ways the store uses it: a read and a write transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        is_sqlite = self.dialect == "sqlite"
        self._write_gate = asyncio.Lock() if is_sqlite else None
        # A single shared connection (in-memory SQLite) must not run two transactions at once.
        single = isinstance(engine.pool, StaticPool)
        self._read_gate = self._write_gate if single else None
        self._write_options = {_BEGIN_MODE: "IMMEDIATE"} if is_sqlite else {}
        # SQLite writers are fully serialised, so a constraint violation there is a bug, not
        # a race: only PostgreSQL retries.
        self._write_attempts = 1 if is_sqlite else WRITE_ATTEMPTS

    @classmethod
    async def open(cls, url: str) -> Database:
        parsed = parse_url(url)
        path = sqlite_file(parsed)
        if path is not None:
            await asyncio.to_thread(_make_parent_dir, path)
        engine = create_engine(parsed)
        database = cls(engine)
        try:
            await database.migrate()
        except BaseException:
            await engine.dispose()
            raise
        return database

    async def migrate(self) -> None:
        """Bring the schema to the latest revision (in one transaction)."""
        try:
            async with self._gate(self._write_gate), self.engine.connect() as connection:
                await connection.execution_options(**self._write_options)
                async with connection.begin():
                    await connection.run_sync(_upgrade)
        except CommandError as exc:
            raise StorageError(
                f"The database schema cannot be upgraded ({exc}); it was probably created by "
                "a newer Tessera. Upgrade Tessera or point it at another database."
            ) from exc
        except DBAPIError as exc:
            raise StorageError(
                f"Cannot open the database ({exc.orig}); check the database URL "
                "(TESSERA_DATABASE_URL) and that its folder is writable."
            ) from exc

    async def close(self) -> None:
        await self.engine.dispose()

    async def read(self, operation: Operation[T]) -> T:
        """Run ``operation`` in a read-only transaction (one consistent snapshot)."""
        try:
            async with (
                self._gate(self._read_gate),
                self._sessions() as session,
                session.begin(),
            ):
                return await operation(session)
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    async def write(self, operation: Operation[T]) -> T:
        """Run ``operation`` in one write transaction: all of it is committed, or nothing.

        On PostgreSQL, a constraint violation caused by a concurrent writer (another process
        sharing the database) rolls back and retries the whole operation a few times.
        """
        for attempt in range(1, self._write_attempts + 1):
            try:
                async with self._gate(self._write_gate), self._sessions() as session:
                    await session.connection(execution_options=self._write_options)
                    result = await operation(session)
                    await session.commit()
                    return result
            except IntegrityError as exc:
                if self._write_attempts == 1:
                    raise
                if attempt == self._write_attempts:
                    raise Conflict(
                        "The project was changed by someone else at the same time; "
                        "reload it and try again."
                    ) from exc
            except OperationalError as exc:
                raise _unavailable(exc) from exc
        raise AssertionError("unreachable")

    @staticmethod
    @contextlib.asynccontextmanager
    async def _gate(lock: asyncio.Lock | None) -> AsyncIterator[None]:
        if lock is None:
            yield
            return
        async with lock:
            yield
