"""Tessera's templates as E2B Template SDK definitions (built here without E2B's cloud)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from e2b import AsyncTemplate, BuildException, BuildInfo

from tessera.errors import SandboxError, TemplateNotFound
from tessera.sandbox.templates import e2b_templates as module
from tessera.sandbox.templates import get_template, templates
from tessera.sandbox.templates.e2b_templates import (
    PROJECT_DIR,
    build,
    default_template_ids,
    e2b_templates,
    select,
)


def steps(definition: Any) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(AsyncTemplate.to_json(definition))
    return [{"type": s["type"], "args": s["args"]} for s in data["steps"]]


def test_every_template_of_the_registry_has_an_e2b_definition() -> None:
    assert [t.template for t in e2b_templates()] == templates()
    assert default_template_ids()["react"] == "tessera-react"
    assert set(default_template_ids().values()) == {f"tessera-{name}" for name in templates()}


@pytest.mark.parametrize("name", templates())
def test_a_definition_copies_the_starter_files_and_installs_their_dependencies(
    name: str,
) -> None:
    [template] = select([name])
    spec = get_template(name)
    definition = template.definition()
    found = steps(definition)
    assert {"type": "WORKDIR", "args": [PROJECT_DIR]} in found
    assert {"type": "COPY", "args": [".", f"{PROJECT_DIR}/", "user", ""]} in found
    install = {"type": "RUN", "args": [f"cd {PROJECT_DIR} && {spec.install_command}", "user"]}
    assert found[-1] == install
    assert found.index(install) > found.index({"type": "WORKDIR", "args": [PROJECT_DIR]})
    dockerfile = AsyncTemplate.to_dockerfile(definition)
    assert "ENTRYPOINT" not in dockerfile  # the manager starts the dev server itself
    data = json.loads(AsyncTemplate.to_json(definition))
    copy = next(s for s in data["steps"] if s["type"] == "COPY")
    assert len(copy["filesHash"]) == 64  # computed from the starter files on this machine
    if any(d.ecosystem == "pip" for d in spec.dependencies):
        assert "python3-venv" in dockerfile
    if any(d.ecosystem == "npm" for d in spec.dependencies):
        assert data["fromImage"].startswith("node:")


def test_the_copy_changes_with_the_starter_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [react] = select(["react"])
    before = json.loads(AsyncTemplate.to_json(react.definition()))
    files = tmp_path / "files"
    files.mkdir()
    (files / "package.json").write_text("{}")
    spec = get_template("react")
    changed = dataclasses.replace(spec, files_dir=files)
    monkeypatch.setattr(module, "get_template", lambda name: changed)
    after = json.loads(AsyncTemplate.to_json(react.definition()))

    def files_hash(data: dict[str, Any]) -> str:
        return str(next(s for s in data["steps"] if s["type"] == "COPY")["filesHash"])

    assert files_hash(before) != files_hash(after)


def test_select() -> None:
    assert [t.template for t in select()] == templates()
    with pytest.raises(TemplateNotFound) as caught:
        select(["react", "rails"])
    assert "'rails'" in caught.value.message


async def test_build_calls_the_template_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def fake_build(*args: Any, **kwargs: Any) -> BuildInfo:
        calls.append((args, kwargs))
        log = kwargs["on_build_logs"]
        log(type("Entry", (), {"message": "step 1/3"})())
        return BuildInfo(template_id="tpl1", build_id="b1", name="tessera-react", alias="")

    monkeypatch.setattr(AsyncTemplate, "build", fake_build)
    [react] = select(["react"])
    lines: list[str] = []
    info = await build(react, api_key="e2b_key", domain="e2b.example", on_log=lines.append)
    assert info.template_id == "tpl1"
    [(args, kwargs)] = calls
    assert args[1] == "tessera-react:latest"
    assert steps(args[0]) == steps(react.definition())
    assert {k: kwargs[k] for k in ("cpu_count", "memory_mb", "api_key", "domain")} == {
        "cpu_count": react.cpu_count,
        "memory_mb": react.memory_mb,
        "api_key": "e2b_key",
        "domain": "e2b.example",
    }
    assert lines == ["step 1/3"]


async def test_a_failed_build_says_which_template(monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(*args: Any, **kwargs: Any) -> BuildInfo:
        raise BuildException("npm ERR! 404 Not Found")

    monkeypatch.setattr(AsyncTemplate, "build", failing)
    with pytest.raises(SandboxError) as caught:
        await build(select(["react"])[0], api_key="k")
    assert "'tessera-react'" in caught.value.message and "npm ERR! 404" in caught.value.message
