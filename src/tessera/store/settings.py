"""Queries on the settings table: JSON values under a key, global or per project."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.store import projects
from tessera.store.models import Setting
from tessera.store.sql import dialect_insert

GLOBAL_SCOPE: Final = "global"
"""The scope of settings that apply to the whole installation; any other scope is a
project id."""

MAX_KEY_LENGTH: Final = 64


def project_of(scope: str) -> str | None:
    """The project a scope belongs to, or None for the global scope."""
    return None if scope == GLOBAL_SCOPE else scope


async def require_scope(session: AsyncSession, scope: str) -> None:
    """Raise ProjectNotFound unless ``scope`` is global or an existing project."""
    project_id = project_of(scope)
    if project_id is not None:
        await projects.require(session, project_id)


def check_values(values: Mapping[str, Any | None]) -> None:
    """Refuse keys the table cannot hold and values that are not JSON, before writing."""
    for key, value in values.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"The setting name {key!r} is not valid: use 1 to {MAX_KEY_LENGTH} characters."
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"The value of the setting {key!r} cannot be stored: it is not plain JSON "
                "(text, numbers, true/false, lists and objects)."
            ) from exc


async def read(session: AsyncSession, scope: str) -> dict[str, Any]:
    rows = await session.execute(
        select(Setting.key, Setting.value).where(Setting.scope == scope).order_by(Setting.key)
    )
    return {key: value for key, value in rows}


async def write(session: AsyncSession, scope: str, values: Mapping[str, Any | None]) -> None:
    """Upsert every value; a None value deletes its key."""
    removed = [key for key, value in values.items() if value is None]
    if removed:
        await session.execute(
            delete(Setting)
            .where(Setting.scope == scope, Setting.key.in_(removed))
            .execution_options(synchronize_session=False)
        )
    kept = [
        {"scope": scope, "key": key, "value": value, "project_id": project_of(scope)}
        for key, value in values.items()
        if value is not None
    ]
    if kept:
        insert = dialect_insert(session, Setting).values(kept)
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[Setting.scope, Setting.key],
                set_={"value": insert.excluded.value},
            )
        )
