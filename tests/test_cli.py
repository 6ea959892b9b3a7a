from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tessera.cli import cli
from tessera.sandbox.templates import TemplateCache
from tests.conftest import shared_test_cache


def test_doctor_lists_what_tessera_needs(
    monkeypatch: pytest.MonkeyPatch, template_cache: TemplateCache
) -> None:
    monkeypatch.setenv("TESSERA_CACHE_DIR", str(shared_test_cache()))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("TESSERA_LLM_PROVIDER", raising=False)
    result = CliRunner().invoke(cli, ["doctor"])
    for name in ("node", "npm", "bwrap", "chromium", "language model", "template react"):
        assert name in result.output
    assert "offline demo model" in result.output
    assert "dependencies cached" in result.output


def test_doctor_says_how_to_fix_a_cold_template_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("TESSERA_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "tessera templates warm" in result.output


def test_serve_documents_its_options_and_environment() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for text in ("--host", "--port", "--data-dir", "TESSERA_HOST", "TESSERA_PORT"):
        assert text in result.output


def test_doctor_names_the_anthropic_model_or_the_missing_key(
    monkeypatch: pytest.MonkeyPatch, template_cache: TemplateCache
) -> None:
    monkeypatch.setenv("TESSERA_CACHE_DIR", str(shared_test_cache()))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TESSERA_LLM_PROVIDER", "anthropic")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert "set ANTHROPIC_API_KEY" in CliRunner().invoke(cli, ["doctor"]).output
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    assert "via Anthropic" in CliRunner().invoke(cli, ["doctor"]).output
