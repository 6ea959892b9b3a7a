"""The ``e2b`` provider and E2B's real SDK: the calls Tessera makes have the SDK's current
shape (a renamed method or argument fails here), and the SDK's errors become Tessera's.
Nothing here reaches E2B's cloud: the SDK's network calls are replaced by recording stubs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import e2b
import httpx
import pytest
from e2b import AsyncSandbox, ConnectionConfig, SandboxQuery
from e2b.sandbox_async.commands.command import Commands
from e2b.sandbox_async.commands.command_handle import AsyncCommandHandle
from e2b.sandbox_async.filesystem.filesystem import Filesystem
from packaging.version import Version

from tessera.errors import (
    FileNotFound,
    InvalidInput,
    SandboxError,
    SandboxNotFound,
    TemplateNotFound,
    TesseraError,
)
from tessera.sandbox.e2b import CloudSdk, E2BSandboxProvider
from tessera.sandbox.e2b.errors import E2BAuthError, E2BRateLimited, translate
from tessera.sandbox.e2b.provider import TEMPLATE_KEY


def offline_sandbox(sandbox_id: str = "i62mff4ahtrdfdkyn2esc") -> AsyncSandbox:
    """A real ``AsyncSandbox`` object, built without asking E2B (nothing is sent)."""
    return AsyncSandbox(
        sandbox_id=sandbox_id,
        sandbox_domain=None,
        envd_version=Version("0.5.0"),
        envd_access_token=None,
        traffic_access_token=None,
        connection_config=ConnectionConfig(api_key="e2b_test", domain="e2b.example"),
    )


@dataclass
class Recorder:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def stub(self, name: str, result: Callable[[], Any]) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return result()

        return call


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recording = Recorder()
    monkeypatch.setattr(AsyncSandbox, "create", recording.stub("create", offline_sandbox))
    return recording


async def test_create_passes_the_current_keywords(recorder: Recorder) -> None:
    provider = E2BSandboxProvider("e2b_key", domain="e2b.example", sandbox_timeout=300)
    sandbox = await provider.create(
        "react", envs={"NODE_ENV": "development"}, metadata={"project_id": "p1"}
    )
    [(name, args, kwargs)] = recorder.calls
    assert (name, args) == ("create", ())
    assert kwargs == {
        "template": "tessera-react",
        "timeout": 300,
        "envs": {"NODE_ENV": "development"},
        "metadata": {"project_id": "p1", TEMPLATE_KEY: "react"},
        "api_key": "e2b_key",
        "domain": "e2b.example",
    }
    assert sandbox.sandbox_id == "i62mff4ahtrdfdkyn2esc"
    # The host comes from the SDK's own get_host; E2B serves it over HTTPS.
    assert sandbox.get_host(5173) == "5173-i62mff4ahtrdfdkyn2esc.e2b.example"
    assert sandbox.preview_url(5173) == "https://5173-i62mff4ahtrdfdkyn2esc.e2b.example/"
    assert sandbox.upstream_url(3000) == "https://3000-i62mff4ahtrdfdkyn2esc.e2b.example"


async def test_without_a_domain_the_sdk_chooses_it(recorder: Recorder) -> None:
    await E2BSandboxProvider("e2b_key").create("react")
    [(_, _, kwargs)] = recorder.calls
    assert "domain" not in kwargs and kwargs["api_key"] == "e2b_key"


@dataclass
class StubInfo:
    sandbox_id: str
    metadata: dict[str, str]
    sandbox_domain: str | None = "e2b.example"
    state: str = "running"


class StubPaginator:
    def __init__(self, pages: list[list[StubInfo]]) -> None:
        self._pages = pages

    @property
    def has_next(self) -> bool:
        return bool(self._pages)

    async def next_items(self) -> list[StubInfo]:
        return self._pages.pop(0)


async def test_connect_list_and_kill_pass_the_current_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    live = offline_sandbox("abc123")

    async def get_info() -> StubInfo:
        return StubInfo("abc123", {TEMPLATE_KEY: "react", "project_id": "p1"})

    monkeypatch.setattr(live, "get_info", get_info)

    async def connect(*args: Any, **kwargs: Any) -> AsyncSandbox:
        calls.append(("connect", args, kwargs))
        return live

    def list_(*args: Any, **kwargs: Any) -> StubPaginator:
        calls.append(("list", args, kwargs))
        tessera = StubInfo("listed1", {TEMPLATE_KEY: "react", "project_id": "p2"})
        return StubPaginator([[tessera], [StubInfo("other", {"owner": "someone else"})]])

    async def kill(*args: Any, **kwargs: Any) -> bool:
        calls.append(("kill", args, kwargs))
        return True

    monkeypatch.setattr(AsyncSandbox, "connect", connect)
    monkeypatch.setattr(AsyncSandbox, "list", list_)
    monkeypatch.setattr(AsyncSandbox, "kill", kill)
    provider = E2BSandboxProvider("e2b_key")

    connected = await provider.connect("abc123")
    assert (connected.template, dict(connected.metadata)) == ("react", {"project_id": "p1"})
    [listed] = await provider.list({"project_id": "p2"})
    assert listed.get_host(80) == "80-listed1.e2b.example"
    await listed.kill()
    assert calls == [
        ("connect", ("abc123",), {"api_key": "e2b_key"}),
        ("list", (), {"query": SandboxQuery(metadata={"project_id": "p2"}), "api_key": "e2b_key"}),
        ("kill", ("listed1",), {"api_key": "e2b_key"}),
    ]


def parameters(function: Callable[..., object]) -> set[str]:
    return set(inspect.signature(function).parameters)


def test_the_sdk_still_has_what_tessera_calls() -> None:
    assert {"template", "timeout", "metadata", "envs"} <= parameters(AsyncSandbox.create)
    assert {"background", "envs", "cwd", "on_stdout", "on_stderr", "timeout"} <= parameters(
        Commands.run
    )
    assert {"path", "format"} <= parameters(Filesystem.read)
    assert {"path", "depth"} <= parameters(Filesystem.list)
    assert {"files"} <= parameters(Filesystem.write_files)
    assert {"path", "data"} <= parameters(Filesystem.write)
    assert {"old_path", "new_path"} <= parameters(Filesystem.rename)
    for method in ("exists", "remove"):
        assert "path" in parameters(getattr(Filesystem, method))
    for method in ("get_host", "set_timeout", "pause", "kill", "is_running", "get_info"):
        assert callable(getattr(AsyncSandbox, method))
    for member in ("pid", "exit_code", "wait", "kill"):
        assert hasattr(AsyncCommandHandle, member)
    assert SandboxQuery(metadata={"a": "b"}).metadata == {"a": "b"}
    assert CloudSdk("k").url("5173-abc.e2b.app") == "https://5173-abc.e2b.app"


# --- errors ----------------------------------------------------------------------------------
OFFLINE = httpx.ConnectError("dns error: no records found for api.e2b.app")


@pytest.mark.parametrize(
    ("exc", "kind", "says"),
    [
        (e2b.AuthenticationException("401: Unauthorized"), E2BAuthError, "E2B_API_KEY"),
        (OFFLINE, SandboxError, "could not reach E2B"),
        (e2b.RateLimitException("429"), E2BRateLimited, "rate limit"),
        (e2b.SandboxNotFoundException("gone"), SandboxNotFound, "no longer exists"),
        (e2b.SandboxNotRunningException("was not found"), SandboxNotFound, "no longer exists"),
        (e2b.SandboxUnreachableException("port is not open"), SandboxError, "could not reach"),
        (e2b.TimeoutException("request timed out"), SandboxError, "did not answer in time"),
        (e2b.NotEnoughSpaceException("full"), SandboxError, "disk is full"),
        (e2b.InvalidArgumentException("bad"), InvalidInput, "refused the request: bad"),
        (e2b.ServiceBusyException("503"), SandboxError, "no capacity"),
        (e2b.TemplateException("old envd"), SandboxError, "templates build --provider e2b"),
        (e2b.SandboxException("500: boom"), SandboxError, "500: boom"),
    ],
)
def test_sdk_errors_become_tessera_errors(
    exc: Exception, kind: type[TesseraError], says: str
) -> None:
    error = translate(exc)
    assert type(error) is kind
    assert error is not None and says in error.message


def test_what_a_not_found_is_about() -> None:
    missing = e2b.FileNotFoundException("no such file")
    assert isinstance(translate(missing, subject="file", name="src/a.ts"), FileNotFound)
    template = translate(
        e2b.SandboxException("404: template not found", status_code=404),
        subject="template",
        name="tessera-react",
    )
    assert isinstance(template, TemplateNotFound) and "'tessera-react'" in template.message
    assert translate(ValueError("not from the SDK")) is None


class FailingSdk:
    """An ``E2BSdk`` whose every call fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def create(self, template: str, **kwargs: Any) -> Any:
        raise self.error

    async def connect(self, sandbox_id: str) -> Any:
        raise self.error

    async def list(self, metadata: Mapping[str, str] | None = None) -> Any:
        raise self.error

    async def kill(self, sandbox_id: str) -> bool:
        raise self.error

    def url(self, host: str) -> str:
        return f"https://{host}"


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (e2b.AuthenticationException("401"), E2BAuthError, "E2B refused the API key"),
        (OFFLINE, SandboxError, "could not reach E2B"),
        (e2b.SandboxNotFoundException("404"), SandboxNotFound, "no longer exists"),
    ],
)
async def test_the_provider_reports_sdk_errors(
    error: Exception, kind: type[TesseraError], says: str
) -> None:
    provider = E2BSandboxProvider("k", sdk=FailingSdk(error))
    with pytest.raises(kind) as caught:
        await provider.connect("abc123")
    assert says in caught.value.message
    if kind is not SandboxNotFound:
        with pytest.raises(kind):
            await provider.list()
        with pytest.raises(kind):
            await provider.create("react")
