"""The files of one turn: the project's working copy plus what the model changed so far."""

from __future__ import annotations

import json
from collections.abc import Mapping

from tessera.errors import FileNotFound, InvalidInput
from tessera.protocol.edits import apply_edit


class TurnWorkspace:
    """Applies the model's actions in memory; ``changes`` is what the turn will commit.

    ``changes`` maps a path to its new content, or to ``None`` when the turn deleted it.
    """

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files: dict[str, str] = dict(files)
        self._original: dict[str, str] = dict(files)
        self.changes: dict[str, str | None] = {}

    def write(self, path: str, content: str) -> None:
        self.files[path] = content
        self._record(path)

    def delete(self, path: str) -> None:
        if path not in self.files:
            raise FileNotFound(f"Cannot delete {path}: the project has no such file.")
        del self.files[path]
        self._record(path)

    def rename(self, source: str, target: str) -> str:
        if source not in self.files:
            raise FileNotFound(f"Cannot rename {source}: the project has no such file.")
        if target in self.files:
            raise InvalidInput(f"Cannot rename {source} to {target}: {target} already exists.")
        content = self.files.pop(source)
        self.files[target] = content
        self._record(source)
        self._record(target)
        return content

    def edit(self, path: str, search: str, replace: str) -> str:
        if path not in self.files:
            if search.strip():
                raise FileNotFound(f"Cannot edit {path}: the project has no such file.")
            self.write(path, replace)
            return replace
        content = apply_edit(self.files[path], search, replace, path=path)
        self.write(path, content)
        return content

    def add_dependency(self, name: str, version: str | None) -> str:
        """Adds an npm dependency to package.json; returns the new package.json."""
        if "package.json" not in self.files:
            raise InvalidInput(f"Cannot add {name}: the project has no package.json.")
        try:
            manifest = json.loads(self.files["package.json"])
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"Cannot add {name}: package.json is not valid JSON ({exc})."
            ) from exc
        if not isinstance(manifest, dict):
            raise InvalidInput(f"Cannot add {name}: package.json is not a JSON object.")
        dependencies = manifest.setdefault("dependencies", {})
        dependencies[name] = version or "latest"
        content = json.dumps(manifest, indent=2) + "\n"
        self.write("package.json", content)
        return content

    def _record(self, path: str) -> None:
        current = self.files.get(path)
        if current == self._original.get(path):
            self.changes.pop(path, None)
        else:
            self.changes[path] = current
