"""Choosing the ``e2b`` provider: settings, the app, the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from tessera.app import create_app
from tessera.cli import cli
from tessera.config import Settings
from tessera.errors import SandboxError
from tessera.sandbox.e2b import CloudSdk, E2BSandboxProvider
from tessera.sandbox.e2b.fake import FakeE2BSdk
from tessera.sandbox.factory import create_e2b_provider
from tessera.sandbox.templates import e2b_templates, templates


@pytest.fixture(autouse=True)
def no_e2b_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("E2B_API_KEY", "TESSERA_E2B_API_KEY", "E2B_DOMAIN", "TESSERA_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_the_environment_chooses_e2b(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_SANDBOX", "e2b")
    monkeypatch.setenv("E2B_API_KEY", "e2b_secret_key")
    monkeypatch.setenv("E2B_DOMAIN", "e2b.example")
    settings = Settings()
    assert (settings.sandbox, settings.e2b_domain) == ("e2b", "e2b.example")
    assert "e2b_secret_key" not in repr(settings)
    provider = create_e2b_provider(settings)
    assert isinstance(provider, E2BSandboxProvider)
    assert (provider.domain, provider.sandbox_timeout) == ("e2b.example", 1200)
    assert provider.sandbox_timeout > settings.sandbox_idle_timeout
    assert provider.templates["react"] == "tessera-react"
    assert isinstance(provider._sdk, CloudSdk)


def test_e2b_without_a_key_fails_at_startup(settings: Settings) -> None:
    chosen = settings.model_copy(update={"sandbox": "e2b", "e2b_api_key": None})
    with pytest.raises(SandboxError) as caught:
        create_app(chosen)
    assert caught.value.message.startswith("TESSERA_SANDBOX=e2b needs E2B_API_KEY")
    with pytest.raises(SandboxError):
        create_e2b_provider(chosen)


def test_the_app_runs_on_the_e2b_provider(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chosen = settings.model_copy(update={"sandbox": "e2b", "e2b_api_key": SecretStr("e2b_key")})
    cloud = FakeE2BSdk(tmp_path / "e2b")
    built: list[E2BSandboxProvider] = []

    def offline_provider(settings: Settings) -> E2BSandboxProvider:
        provider = E2BSandboxProvider("e2b_key", sdk=cloud)
        built.append(provider)
        return provider

    monkeypatch.setattr("tessera.app.create_e2b_provider", offline_provider)
    with TestClient(create_app(chosen)) as client:
        assert client.get("/api/config").json()["sandbox"] == "e2b"
        assert client.app.state.sandboxes.provider is built[0]  # type: ignore[attr-defined]


def test_templates_build_needs_a_key() -> None:
    result = CliRunner().invoke(cli, ["templates", "build", "--provider", "e2b"])
    assert result.exit_code == 1
    assert "needs E2B_API_KEY" in result.output


def test_templates_build_builds_every_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2B_API_KEY", "e2b_key")
    built: list[tuple[str, dict[str, Any]]] = []

    async def fake_build(template: e2b_templates.E2BTemplate, **kwargs: Any) -> Any:
        built.append((template.e2b_name, kwargs))
        kwargs["on_log"]("installing")
        return type("Info", (), {"template_id": f"id-{template.template}"})()

    monkeypatch.setattr(e2b_templates, "build", fake_build)
    result = CliRunner().invoke(cli, ["templates", "build", "--provider", "e2b"])
    assert result.exit_code == 0, result.output
    assert [name for name, _ in built] == [f"tessera-{name}" for name in templates()]
    assert all(kwargs["api_key"] == "e2b_key" for _, kwargs in built)
    assert "built (id-react)" in result.output
    unknown = CliRunner().invoke(cli, ["templates", "build", "rails"])
    assert unknown.exit_code == 1 and "'rails'" in unknown.output


def test_serve_reports_a_missing_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TESSERA_SANDBOX", "e2b")
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "TESSERA_SANDBOX=e2b needs E2B_API_KEY" in result.output
