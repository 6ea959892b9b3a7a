"""The files of one turn: the project's working copy plus what the model changed so far.

Every change the model asks for is checked here before it touches the turn's files: locked
files and chat mode refuse changes, files must be text of a sane size, a whole-file write
may not replace real code by a placeholder, and manifests must stay valid (a broken
package.json would take the dev server down).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from tessera.agent.manifests import MANIFESTS, add_dependency, validate_manifest
from tessera.errors import BinaryContent, FileLocked, FileNotFound, FileTooLarge, InvalidInput
from tessera.protocol.edits import apply_edit
from tessera.protocol.placeholders import check_not_lazy
from tessera.protocol.unified_diff import apply_patch

MAX_FILE_BYTES = 1_000_000
"""Largest file a model may write: generated source files are far smaller; anything bigger
is a runaway answer or data that does not belong in source."""
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f"}


def check_text(path: str, content: str) -> None:
    """Raises ``FileTooLarge`` / ``BinaryContent`` for content that is not a source file."""
    size = len(content.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"{path} was not written: it is {size / 1_000_000:.1f} MB, more than the "
            f"{MAX_FILE_BYTES // 1_000_000} MB a generated file may have."
        )
    if "\x00" in content or sum(ch in _CONTROL for ch in content[:20_000]) > 20:
        raise BinaryContent(f"{path} was not written: its content is binary, not text.")


class TurnWorkspace:
    """Applies the model's actions in memory; ``changes`` is what the turn will commit.

    ``changes`` maps a path to its new content, or to ``None`` when the turn deleted it.
    ``read_only`` (chat mode) refuses every change; ``locked`` paths refuse changes.
    """

    def __init__(
        self,
        files: Mapping[str, str],
        *,
        locked: Collection[str] = (),
        read_only: bool = False,
        template: str = "react",
    ) -> None:
        self.files: dict[str, str] = dict(files)
        self._original: dict[str, str] = dict(files)
        self.changes: dict[str, str | None] = {}
        self.locked = frozenset(locked)
        self.read_only = read_only
        self.template = template

    def write(self, path: str, content: str) -> None:
        self._check_changeable(path)
        check_text(path, content)
        check_not_lazy(path, self.files.get(path), content)
        if path in MANIFESTS:
            validate_manifest(path, content)
        self.files[path] = content
        self._record(path)

    def delete(self, path: str) -> None:
        self._check_changeable(path)
        if path not in self.files:
            raise FileNotFound(f"Cannot delete {path}: the project has no such file.")
        del self.files[path]
        self._record(path)

    def rename(self, source: str, target: str) -> str:
        self._check_changeable(source)
        self._check_changeable(target)
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
        self._check_changeable(path)
        if path not in self.files:
            if search.strip():
                raise FileNotFound(f"Cannot edit {path}: the project has no such file.")
            self.write(path, replace)
            return replace
        content = apply_edit(self.files[path], search, replace, path=path)
        self.write(path, content)
        return content

    def patch(self, path: str, patch: str) -> str:
        """Applies a unified diff to ``path`` (an empty file when it does not exist yet)."""
        self._check_changeable(path)
        content = apply_patch(self.files.get(path, ""), patch, path=path)
        self.write(path, content)
        return content

    def add_dependency(self, name: str, version: str | None, manager: str | None = None) -> str:
        """Adds a dependency to the template's manifest; returns the manifest's path."""
        path, content = add_dependency(
            self.files, name=name, version=version, manager=manager, template=self.template
        )
        self.write(path, content)
        return path

    def _check_changeable(self, path: str) -> None:
        if self.read_only:
            raise InvalidInput(
                f"{path} was not changed: chat mode never changes files. Switch to Build "
                "mode to apply changes."
            )
        if path in self.locked:
            raise FileLocked(
                f"{path} is locked, so the AI may not change it. Unlock it in the file tree "
                "to allow changes."
            )

    def _record(self, path: str) -> None:
        current = self.files.get(path)
        if current == self._original.get(path):
            self.changes.pop(path, None)
        else:
            self.changes[path] = current
