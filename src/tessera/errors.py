"""One exception tree for everything Tessera reports to a user.

Each class carries the HTTP status the API answers with and a message a user can act on.
Modules raise the most specific class; route handlers never catch them (the app installs
one handler that turns any ``TesseraError`` into a JSON error body).
"""

from __future__ import annotations


class TesseraError(Exception):
    """Base class. ``status_code`` is the HTTP status; ``code`` a stable machine-readable name."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# --- input -------------------------------------------------------------------------------
class InvalidInput(TesseraError):
    status_code = 422
    code = "invalid_input"


class InvalidPath(InvalidInput):
    """A file path that is absolute, escapes the project, or names a forbidden folder."""

    code = "invalid_path"


# --- lookups -----------------------------------------------------------------------------
class NotFound(TesseraError):
    status_code = 404
    code = "not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"


class FileNotFound(NotFound):
    code = "file_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class Conflict(TesseraError):
    status_code = 409
    code = "conflict"


class EditConflict(Conflict):
    """A save based on content that is no longer the file's: another tab or the model saved
    it since. ``current_sha`` is the stored file's sha ("" when it no longer exists), so a
    client can tell the user and offer to reload or overwrite."""

    code = "edit_conflict"

    def __init__(self, message: str, *, current_sha: str) -> None:
        super().__init__(message)
        self.current_sha = current_sha

    def to_dict(self) -> dict[str, str]:
        return {**super().to_dict(), "current_sha": self.current_sha}


class PathExists(Conflict):
    """A rename, upload or new file onto a path (or folder) the project already has."""

    code = "path_exists"


# --- storage -----------------------------------------------------------------------------
class StorageError(TesseraError):
    """The database cannot be opened or reached, is busy, or its URL is not supported."""

    status_code = 503
    code = "storage_error"


# --- model providers ---------------------------------------------------------------------
class ProviderError(TesseraError):
    """The language model could not be reached or answered with an error."""

    status_code = 502
    code = "provider_error"


class ProviderAuthError(ProviderError):
    code = "provider_auth_error"


class ProviderRateLimited(ProviderError):
    status_code = 429
    code = "provider_rate_limited"


class ProviderStreamBroken(ProviderError):
    """The model's stream ended before it was complete."""

    code = "provider_stream_broken"


class ProtocolError(TesseraError):
    """The model's output could not be understood (bad JSON, unclosed tag, ...)."""

    status_code = 422
    code = "protocol_error"


class EditNotApplied(ProtocolError):
    """A SEARCH/REPLACE edit whose SEARCH text is not in the file; ``path`` names the file."""

    code = "edit_not_applied"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PlaceholderRefused(EditNotApplied):
    """Model output that stands for code with a placeholder ("// ... rest of the code")
    where the file has real code: never written over it."""

    code = "placeholder_refused"


class FileTooLarge(InvalidInput):
    code = "file_too_large"


class BinaryContent(InvalidInput):
    """Content that is not text (NUL bytes or other control characters)."""

    code = "binary_content"


class FileLocked(Conflict):
    """The user locked the file: the model may not change it."""

    code = "file_locked"


class ManifestInvalid(InvalidInput):
    """A package.json / requirements.txt that would break the dev server or installs."""

    code = "manifest_invalid"


# --- sandboxes ---------------------------------------------------------------------------
class SandboxError(TesseraError):
    status_code = 503
    code = "sandbox_error"


class SandboxNotFound(SandboxError):
    status_code = 404
    code = "sandbox_not_found"


class TemplateNotFound(SandboxError):
    status_code = 422
    code = "template_not_found"


class TemplateNotReady(SandboxError):
    """The template's dependency cache has not been prepared on this machine."""

    code = "template_not_ready"


class CommandFailed(SandboxError):
    """A foreground command exited with a non-zero code."""

    code = "command_failed"

    def __init__(self, message: str, *, exit_code: int, stdout: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


class CommandTimeout(SandboxError):
    code = "command_timeout"


class DevServerFailed(SandboxError):
    """The app's dev server exited or never opened its port; ``output`` has its last lines."""

    code = "dev_server_failed"

    def __init__(self, message: str, *, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class DependencyInstallFailed(DevServerFailed):
    """Installing the project's dependencies failed; ``output`` has the installer's last lines."""

    code = "dependency_install_failed"


class PreviewUnavailable(SandboxError):
    status_code = 502
    code = "preview_unavailable"


class RunInProgress(Conflict):
    code = "run_in_progress"
