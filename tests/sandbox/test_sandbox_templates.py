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
    Template,
    TemplateCache,
    get_template,
    template_files,
    templates,
)


def test_registry() -> None:
    assert templates() == ["react"]
    react = get_template("react")
    assert react.default_port == 5173
    assert react.dev_command(4321) == (
        "node node_modules/vite/bin/vite.js --host 127.0.0.1 --port 4321 --strictPort"
    )
    assert {"package.json", "index.html", "src/App.tsx", "vite.config.ts"} <= set(
        react.starter_files()
    )
    files = template_files("react")
    assert set(files) == set(react.starter_files())
    assert '"vite"' in files["package.json"]
    with pytest.raises(TemplateNotFound) as caught:
        get_template("rails")
    assert "'rails'" in caught.value.message and "react" in caught.value.message


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


def demo_template(tmp_path: Path, install_command: str) -> Template:
    files = tmp_path / "demo-files"
    files.mkdir(exist_ok=True)
    (files / "package.json").write_text(json.dumps({"name": "demo", "version": "1.0.0"}))
    return Template(
        name="demo",
        description="a template of the tests",
        files_dir=files,
        default_port=3000,
        dev_command_format="true {port}",
        dependency_files=("package.json",),
        install_command=install_command,
        cached_dir="node_modules",
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
