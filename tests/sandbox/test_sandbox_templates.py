"""The template registry and the machine-level dependency cache."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from sandbox_test_support import poll, process_alive

from tessera.errors import CommandFailed, TemplateNotFound, TemplateNotReady
from tessera.sandbox.templates import (
    Dependencies,
    Process,
    Template,
    TemplateCache,
    get_template,
    template_files,
    templates,
)


def test_registry() -> None:
    assert templates() == ["react", "python", "fullstack"]
    react = get_template("react")
    assert react.default_port == 5173
    assert [p.name for p in react.processes] == ["web"]
    assert react.preview.command({"web": 4321}) == (
        "node node_modules/vite/bin/vite.js --host 127.0.0.1 --port 4321 --strictPort"
    )
    assert react.cached_dirs == ("node_modules",)
    assert react.install_command == "npm install --no-audit --no-fund --ignore-scripts"
    assert {"package.json", "index.html", "src/App.tsx", "vite.config.ts"} <= set(
        react.starter_files()
    )
    files = template_files("react")
    assert set(files) == set(react.starter_files())
    assert '"vite"' in files["package.json"]
    with pytest.raises(TemplateNotFound) as caught:
        get_template("rails")
    assert "'rails'" in caught.value.message and "react" in caught.value.message


def test_python_template() -> None:
    python = get_template("python")
    assert python.default_port == 5000
    assert python.cached_dirs == (".venv",)
    assert python.dependency_files == ("requirements.txt",)
    assert python.install_command.startswith("/usr/bin/python3 -m venv .venv && ")
    assert "--only-binary=:all: -r requirements.txt" in python.install_command
    [web] = python.processes
    command = web.command({"web": 5001})
    assert ".venv/bin/python -m flask --app app run --debug --no-reload" in command
    assert "--host 127.0.0.1 --port 5001" in command
    assert 'PYTHONPATH="$PWD/.tessera-packages"' in command
    assert web.restart_on == ("*.py",) and web.errors_are_answers
    files = template_files("python")
    assert set(files) == {"app.py", "requirements.txt", "templates/index.html", "static/style.css"}
    assert files["requirements.txt"].split() == ["flask"]
    compile(files["app.py"], "app.py", "exec")
    assert "url_for('static', filename='style.css')" in files["templates/index.html"]


def test_fullstack_template() -> None:
    fullstack = get_template("fullstack")
    assert fullstack.cached_dirs == ("node_modules", ".venv")
    assert fullstack.dependency_files == ("package.json", "api/requirements.txt")
    api, web = fullstack.processes
    assert (api.name, api.preview, api.probe) == ("api", False, "/api/health")
    assert (web.name, web.preview) == ("web", True)
    assert fullstack.preview is web and fullstack.default_port == 5173
    assert web.command({"web": 6000, "api": 6001}).startswith("TESSERA_API_PORT=6001 node ")
    assert "--app api/app" in api.command({"web": 6000, "api": 6001})
    assert web.needs_port_of("api") and not api.needs_port_of("web")
    assert api.restart_on == ("api/*.py",) and web.restart_on == ("vite.config.*",)
    files = template_files("fullstack")
    assert {"api/app.py", "api/db.py", "api/requirements.txt", "src/App.tsx"} <= set(files)
    assert files["package.json"] == template_files("react")["package.json"]
    assert "process.env.TESSERA_API_PORT" in files["vite.config.ts"]
    assert "'/api'" in files["vite.config.ts"] and "allowedHosts: true" in files["vite.config.ts"]
    for path in ("api/app.py", "api/db.py"):
        compile(files[path], path, "exec")


def test_a_template_has_one_preview_process(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one preview process"):
        Template(
            name="none",
            description="",
            files_dir=tmp_path,
            processes=(Process("a", "server", "true {port}", 1),),
            dependencies=(),
        )


async def test_warm_react_cache(template_cache: TemplateCache) -> None:
    assert template_cache.is_ready("react")
    assert {"react", "react-dom", "vite", "@vitejs/plugin-react"} <= (
        template_cache.installed_packages("react")
    )
    progress: list[str] = []
    started = time.monotonic()
    await template_cache.warm("react", on_progress=progress.append)
    assert time.monotonic() - started < 2
    assert progress == ["react: dependencies already installed"]


def demo_template(tmp_path: Path, install_command: str, *, also: str | None = None) -> Template:
    """A template whose dependencies "install" with ``install_command`` (and, given
    ``also``, a second set in ``.venv`` installed with that command)."""
    files = tmp_path / "demo-files"
    files.mkdir(exist_ok=True)
    (files / "package.json").write_text(json.dumps({"name": "demo", "version": "1.0.0"}))
    dependencies = [Dependencies("npm", "package.json", "node_modules", install_command)]
    if also is not None:
        (files / "api").mkdir(exist_ok=True)
        (files / "api" / "requirements.txt").write_text("demo\n")
        dependencies.append(Dependencies("pip", "api/requirements.txt", ".venv", also))
    return Template(
        name="demo",
        description="a template of the tests",
        files_dir=files,
        processes=(Process("web", "server", "true {port}", 3000, preview=True),),
        dependencies=tuple(dependencies),
    )


def demo_cache(tmp_path: Path, template: Template) -> TemplateCache:
    return TemplateCache(tmp_path / "cache", templates={template.name: template})


async def test_warm_installs_once_until_the_dependencies_change(tmp_path: Path) -> None:
    runs = tmp_path / "runs.log"
    template = demo_template(
        tmp_path, f"echo run >> {runs}; mkdir -p node_modules/demo-pkg @x; echo installed-demo"
    )
    cache = demo_cache(tmp_path, template)
    assert not cache.is_ready("demo")
    with pytest.raises(TemplateNotReady):
        cache.node_modules("demo")
    progress: list[str] = []
    await cache.warm("demo", on_progress=progress.append)
    assert "installed-demo" in progress
    assert cache.is_ready("demo")
    assert cache.node_modules("demo") == tmp_path / "cache" / "demo" / "node_modules"
    assert cache.installed_packages("demo") == {"demo-pkg"}
    await cache.warm("demo")
    assert runs.read_text().splitlines() == ["run"]
    (template.files_dir / "package.json").write_text('{"name": "demo", "version": "2.0.0"}')
    assert not cache.is_ready("demo")
    await cache.warm("demo")
    assert cache.is_ready("demo")
    assert runs.read_text().splitlines() == ["run", "run"]
    assert not list((tmp_path / "cache").glob(".demo.*-*"))


async def test_concurrent_warms_install_once(tmp_path: Path) -> None:
    runs = tmp_path / "runs.log"
    template = demo_template(tmp_path, f"echo run >> {runs}; sleep 0.3; mkdir node_modules")
    cache = demo_cache(tmp_path, template)
    await asyncio.gather(cache.warm("demo"), demo_cache(tmp_path, template).warm("demo"))
    assert cache.is_ready("demo")
    assert runs.read_text().splitlines() == ["run"]


async def test_a_failed_install_leaves_no_half_cache(tmp_path: Path) -> None:
    template = demo_template(tmp_path, "mkdir -p node_modules/half; echo boom >&2; exit 7")
    cache = demo_cache(tmp_path, template)
    with pytest.raises(CommandFailed) as caught:
        await cache.warm("demo")
    assert caught.value.exit_code == 7
    assert "tessera templates warm demo" in caught.value.message
    assert "boom" in caught.value.message
    assert not cache.is_ready("demo")
    assert not (tmp_path / "cache" / "demo").exists()
    assert not list((tmp_path / "cache").glob(".demo.*-*"))


async def test_a_failed_rewarm_keeps_the_previous_cache(tmp_path: Path) -> None:
    marker = tmp_path / "fail"
    template = demo_template(tmp_path, f"test ! -e {marker} && mkdir -p node_modules/ok")
    cache = demo_cache(tmp_path, template)
    await cache.warm("demo")
    marker.touch()
    (template.files_dir / "package.json").write_text('{"name": "demo", "version": "3.0.0"}')
    with pytest.raises(CommandFailed):
        await cache.warm("demo")
    assert (tmp_path / "cache" / "demo" / "node_modules" / "ok").is_dir()


async def test_a_cancelled_install_is_killed_and_cleaned_up(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    template = demo_template(tmp_path, f"echo $$ > {pid_file}; mkdir node_modules; sleep 60")
    cache = demo_cache(tmp_path, template)
    task = asyncio.create_task(cache.warm("demo"))

    async def started() -> bool:
        return pid_file.exists() and bool(pid_file.read_text().strip())

    await poll(started)
    pid = int(pid_file.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not process_alive(pid)
    assert not cache.is_ready("demo")
    assert not (tmp_path / "cache" / "demo").exists()
    assert not list((tmp_path / "cache").glob(".demo.*-*"))


def test_unknown_template_in_a_custom_registry(tmp_path: Path) -> None:
    cache = demo_cache(tmp_path, demo_template(tmp_path, "true"))
    with pytest.raises(TemplateNotFound) as caught:
        cache.is_ready("react")
    assert "demo" in caught.value.message


async def test_every_dependency_set_is_cached(tmp_path: Path) -> None:
    template = demo_template(
        tmp_path,
        "mkdir -p node_modules/demo-pkg",
        also="test -f api/requirements.txt && mkdir -p .venv/lib && echo made-venv",
    )
    cache = demo_cache(tmp_path, template)
    progress: list[str] = []
    await cache.warm("demo", on_progress=progress.append)
    assert "made-venv" in progress
    assert progress[0] == "demo: mkdir -p node_modules/demo-pkg"
    folder = tmp_path / "cache" / "demo"
    assert cache.dependency_dirs("demo") == {
        "node_modules": folder / "node_modules",
        ".venv": folder / ".venv",
    }
    (folder / ".venv" / "lib").rmdir()
    (folder / ".venv").rmdir()
    assert not cache.is_ready("demo")  # every folder must be there


async def test_a_failing_second_set_names_its_registry(tmp_path: Path) -> None:
    template = demo_template(tmp_path, "mkdir -p node_modules", also="echo no-index >&2; exit 3")
    cache = demo_cache(tmp_path, template)
    with pytest.raises(CommandFailed) as caught:
        await cache.warm("demo")
    assert "PyPI" in caught.value.message and "no-index" in caught.value.message
    assert not (tmp_path / "cache" / "demo").exists()
    with pytest.raises(TemplateNotReady) as not_ready:
        cache.dependency_dirs("demo")
    assert "the npm registry and PyPI" in not_ready.value.message
