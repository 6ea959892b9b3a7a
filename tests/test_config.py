from __future__ import annotations

from pathlib import Path

import pytest

from tessera.config import Settings


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "TESSERA_LLM_PROVIDER", "TESSERA_PORT", "TESSERA_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.effective_llm_provider == "offline"
    assert settings.preview_base_domain == "localhost:8000"
    assert settings.database.startswith("sqlite+aiosqlite:///")


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TESSERA_HOST", "0.0.0.0")
    monkeypatch.setenv("TESSERA_PORT", "9123")
    monkeypatch.setenv("TESSERA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TESSERA_PREVIEW_DOMAIN", "preview.example.test")
    settings = Settings()
    assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 9123, tmp_path)
    assert settings.preview_base_domain == "preview.example.test"
    assert settings.database == f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}"


def test_a_key_selects_openai_unless_a_provider_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TESSERA_LLM_PROVIDER", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert Settings().effective_llm_provider == "openai"
    monkeypatch.setenv("TESSERA_LLM_PROVIDER", "offline")
    assert Settings().effective_llm_provider == "offline"


def test_the_key_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    assert "sk-secret-value" not in repr(Settings())
