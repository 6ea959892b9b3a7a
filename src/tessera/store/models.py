"""ORM tables. The schema itself is created by the Alembic migrations in ``migrations/``;
these classes must stay in step with them (a test compares the two)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tessera.store.records import MessageRecord, ProjectRecord, VersionRecord

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no zone: values are stored as naive UTC and made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a UTC-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (Index(None, "updated_at"),)

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_record(self) -> ProjectRecord:
        return ProjectRecord(
            id=self.id,
            name=self.name,
            title=self.title,
            description=self.description,
            template=self.template,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class Blob(Base):
    """File content, stored once per distinct content (addressed by its sha256)."""

    __tablename__ = "blobs"

    sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class File(Base):
    """The working copy: what a project's files are right now."""

    __tablename__ = "files"
    __table_args__ = (Index(None, "sha"),)

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha"))


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def to_record(self, *, file_count: int) -> VersionRecord:
        return VersionRecord(
            id=self.id,
            project_id=self.project_id,
            number=self.number,
            message=self.message,
            kind=self.kind,
            created_at=self.created_at,
            file_count=file_count,
        )


class VersionFile(Base):
    """One file of a version's snapshot."""

    __tablename__ = "version_files"
    __table_args__ = (Index(None, "sha"),)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha"))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index(None, "project_id", "id"), Index(None, "version_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))

    def to_record(self) -> MessageRecord:
        return MessageRecord(
            id=self.id,
            project_id=self.project_id,
            role=self.role,
            content=self.content,
            created_at=self.created_at,
            version_id=self.version_id,
        )


class Setting(Base):
    """One setting: a JSON value under a key, for the whole installation or for one project.

    ``scope`` is "global" or a project id. ``project_id`` repeats the project's id for
    project settings (and is NULL for global ones) only so that deleting a project deletes
    its settings by cascade, as for every other table a project owns.
    """

    __tablename__ = "settings"
    __table_args__ = (Index(None, "project_id"),)

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
