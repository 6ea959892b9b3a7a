"""Queries on a project's chat messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.store.models import Message
from tessera.store.records import MessageRecord


async def add(
    session: AsyncSession,
    project_id: str,
    *,
    role: str,
    content: str,
    version_id: int | None,
    now: datetime,
) -> MessageRecord:
    message = Message(
        project_id=project_id, role=role, content=content, version_id=version_id, created_at=now
    )
    session.add(message)
    await session.flush()
    return message.to_record()


async def list_messages(session: AsyncSession, project_id: str) -> list[MessageRecord]:
    result = await session.scalars(
        select(Message).where(Message.project_id == project_id).order_by(Message.id)
    )
    return [message.to_record() for message in result]
