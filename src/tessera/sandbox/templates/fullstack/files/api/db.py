"""The app's SQLite database: api/data.db, created on first use."""

import sqlite3
from pathlib import Path

DB_PATH = Path(__file__).resolve().parent / "data.db"


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DB_PATH)
    connection.row_factory = sqlite3.Row
    return connection


def init_db() -> None:
    with connect() as db:
        db.execute("CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY AUTOINCREMENT)")


def count_visit() -> int:
    with connect() as db:
        db.execute("INSERT INTO visits DEFAULT VALUES")
        return int(db.execute("SELECT COUNT(*) FROM visits").fetchone()[0])
