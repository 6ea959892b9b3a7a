"""What the body-less tags mean, and the path check every tag shares."""

from __future__ import annotations

from tessera.errors import InvalidPath
from tessera.protocol.actions import (
    Action,
    ActionRefused,
    DependencyAdded,
    FileDeleted,
    FileRenamed,
    ProjectMeta,
)
from tessera.protocol.dependencies import dependency_problem, manager_problem, normalise_manager
from tessera.protocol.markup import KNOWN_TAGS
from tessera.protocol.paths import validate_path


def checked_path(attributes: dict[str, str], attribute: str, tag: str) -> str | ActionRefused:
    """The validated path in ``attribute`` of ``<tessera-{tag}>``, or why it was refused."""
    raw = attributes.get(attribute)
    if raw is None:
        return ActionRefused(
            None, f"A <tessera-{tag}> tag has no {attribute} attribute; it was ignored"
        )
    try:
        return validate_path(raw)
    except InvalidPath as exc:
        return ActionRefused(raw, exc.message)


def bodyless_actions(tag: str, attributes: dict[str, str]) -> list[Action]:
    """The actions of a delete, rename, dependency, meta or unknown tag.

    ``<tessera-dependency manager=...>`` must name "npm" or "pip" when present.
    """
    if tag == "delete":
        path = checked_path(attributes, "path", tag)
        return [path if isinstance(path, ActionRefused) else FileDeleted(path)]
    if tag == "rename":
        source = checked_path(attributes, "from", tag)
        if isinstance(source, ActionRefused):
            return [source]
        target = checked_path(attributes, "to", tag)
        return [target if isinstance(target, ActionRefused) else FileRenamed(source, target)]
    if tag == "dependency":
        name = attributes.get("name", "").strip()
        version = attributes.get("version", "").strip() or None
        manager = normalise_manager(attributes.get("manager"))
        problem = dependency_problem(name, version) or manager_problem(manager, name)
        if problem is not None:
            return [ActionRefused(None, problem)]
        return [DependencyAdded(name, version, manager)]
    if tag == "meta":
        meta = ProjectMeta(
            title=attributes.get("title") or None,
            description=attributes.get("description") or None,
            category=attributes.get("category") or None,
        )
        return [meta] if meta != ProjectMeta() else []
    known = ", ".join(f"<tessera-{name}>" for name in KNOWN_TAGS)
    return [ActionRefused(None, f"The tag <tessera-{tag}> is not known and was ignored ({known})")]
