"""Queries on the projects table."""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import ProjectNotFound
from tessera.store import blobs
from tessera.store.models import File, Project, Version, VersionFile
from tessera.store.sql import rowcount

ID_ALPHABET: Final = string.ascii_lowercase + string.digits
ID_LENGTH: Final = 12


def new_id() -> str:
    """12 random lowercase letters and digits: safe in host names and URLs."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def not_found(project_id: str) -> ProjectNotFound:
    return ProjectNotFound(
        f"There is no project {project_id!r}; it may have been deleted. "
        "Pick a project from the list."
    )


async def create(
    session: AsyncSession,
    *,
    name: str,
    template: str,
    now: datetime,
    title: str | None = None,
    description: str | None = None,
) -> Project:
    project = Project(
        id=new_id(),
        name=name,
        title=title,
        description=description,
        template=template,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    return project


async def get(session: AsyncSession, project_id: str) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise not_found(project_id)
    return project


async def require(session: AsyncSession, project_id: str) -> None:
    """Raise ProjectNotFound unless the project exists."""
    found = await session.scalar(select(Project.id).where(Project.id == project_id))
    if found is None:
        raise not_found(project_id)


async def list_all(session: AsyncSession) -> list[Project]:
    result = await session.scalars(
        select(Project).order_by(Project.updated_at.desc(), Project.created_at.desc(), Project.id)
    )
    return list(result)


async def touch(session: AsyncSession, project_id: str, now: datetime, **values: Any) -> None:
    """Set ``updated_at`` (and any other ``values``); raise ProjectNotFound if absent.

    Runs first in every write to a project: on PostgreSQL it also locks the project's row,
    which serialises writers of one project across processes.
    """
    result = await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) == 0:
        raise not_found(project_id)


async def delete_one(session: AsyncSession, project_id: str) -> None:
    """Delete the project with everything it owns, then the content nobody else uses."""
    shas = set(
        await session.scalars(
            union(
                select(File.sha).where(File.project_id == project_id),
                select(VersionFile.sha)
                .join(Version, Version.id == VersionFile.version_id)
                .where(Version.project_id == project_id),
            )
        )
    )
    result = await session.execute(
        delete(Project).where(Project.id == project_id).execution_options(synchronize_session=False)
    )
    if rowcount(result) == 0:
        raise not_found(project_id)
    await blobs.drop_unreferenced(session, shas)
