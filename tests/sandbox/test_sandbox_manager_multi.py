"""The sandbox manager with the python template: a real Flask dev server from the cached
virtual environment, restarted on Python edits, extra packages installed per sandbox."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sandbox_test_support import process_alive, tree_digest
from templates_support import (
    get,
    pids_by_role,
    preview_port,
    preview_upstream,
    sandbox_of,
    warm,
    wheel,
)

from tessera.errors import DependencyInstallFailed, DevServerFailed
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files

pytestmark = pytest.mark.slow

APP = """\
from flask import Flask, render_template

app = Flask(__name__)


@app.get("/")
def index():
    return render_template("index.html", greeting="{greeting}")
"""

PAGE = "<!doctype html><title>t</title><h1>{heading}</h1><p>{{{{ greeting }}}}</p>\n"


def flask_files(*, heading: str = "Hello", greeting: str = "from Flask") -> dict[str, str]:
    return {
        "app.py": APP.format(greeting=greeting),
        "requirements.txt": "flask\n",
        "templates/index.html": PAGE.format(heading=heading),
    }


@pytest.fixture(scope="module", autouse=True)
def python_cache(template_cache: TemplateCache) -> TemplateCache:
    return warm(template_cache, "python")


@pytest.fixture
async def manager(provider: LocalSandboxProvider) -> AsyncIterator[SandboxManager]:
    instance = SandboxManager(provider, dev_server_timeout=30)
    yield instance
    await instance.aclose()


async def test_the_starter_app_answers(manager: SandboxManager) -> None:
    deployment = await manager.deploy("p1", template_files("python"))
    assert deployment.status == "ready"
    assert deployment.files == []  # the starter files are there already
    page = await get(await preview_upstream(manager, deployment))
    assert page.status_code == 200
    assert "Your app will appear here" in page.text
    style = await get(await preview_upstream(manager, deployment) + "/static/style.css")
    assert style.status_code == 200 and ".starter" in style.text
    assert "Running on http://127.0.0.1:" in deployment.log


async def test_python_edits_restart_and_page_edits_do_not(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", flask_files())
    assert first.files == ["app.py", "static/style.css", "templates/index.html"]
    upstream = await preview_upstream(manager, first)
    page = (await get(upstream)).text
    assert "<h1>Hello</h1>" in page and "from Flask" in page
    sandbox = await sandbox_of(provider, first)
    flask_pid = pids_by_role(sandbox)["flask"]

    # A template is read afresh on the next request: no restart.
    second = await manager.deploy("p1", flask_files(heading="Edited heading"))
    assert second.files == ["templates/index.html"]
    assert second.reload is True  # Flask has no hot reload: an open preview must reload
    assert pids_by_role(sandbox)["flask"] == flask_pid
    assert "<h1>Edited heading</h1>" in (await get(upstream)).text

    # A Python edit restarts the server; the deployment returns once the new code answers.
    lines: list[str] = []
    started = time.monotonic()
    third = await manager.deploy(
        "p1", flask_files(heading="Edited heading", greeting="restarted"), on_log=lines.append
    )
    took = time.monotonic() - started
    assert third.files == ["app.py"]
    assert third.preview_url == first.preview_url  # the same port again
    assert "restarted" in (await get(upstream)).text
    assert took < 3, f"a Python edit took {took:.2f} s to be served"
    assert "[tessera] Restarting the Flask dev server: changed app.py" in lines
    assert not process_alive(flask_pid)
    assert pids_by_role(sandbox)["flask"] != flask_pid


async def test_a_syntax_error_fails_with_the_traceback(manager: SandboxManager) -> None:
    broken = flask_files() | {"app.py": "from flask import Flask\napp = Flask(__name__\n"}
    started = time.monotonic()
    with pytest.raises(DevServerFailed) as caught:
        await manager.deploy("p1", broken)
    assert time.monotonic() - started < 10
    assert "The Flask dev server stopped (exit code" in caught.value.message
    assert 'app.py", line 2' in caught.value.output
    assert "SyntaxError" in caught.value.output
    status = await manager.status("p1")
    assert status is not None and status.status == "error"

    fixed = await manager.deploy("p1", flask_files(heading="Fixed"))
    assert fixed.status == "ready"
    assert "<h1>Fixed</h1>" in (await get(await preview_upstream(manager, fixed))).text

    # Broken again while running: the restart fails the deployment the same way.
    with pytest.raises(DevServerFailed) as again:
        await manager.deploy("p1", broken)
    assert "SyntaxError" in again.value.output


async def test_an_error_of_the_app_is_shown_not_waited_out(manager: SandboxManager) -> None:
    failing = flask_files() | {
        "app.py": "from flask import Flask\napp = Flask(__name__)\n\n\n"
        "@app.get('/')\ndef index():\n    raise RuntimeError('broken on purpose')\n"
    }
    started = time.monotonic()
    deployment = await manager.deploy("p1", failing)
    assert time.monotonic() - started < 10
    assert deployment.status == "ready"
    page = await get(await preview_upstream(manager, deployment))
    assert page.status_code == 500
    assert "broken on purpose" in page.text  # the debugger's traceback page
    assert "RuntimeError: broken on purpose" in manager.logs("p1")


async def test_packages_in_the_cache_are_not_installed_again(manager: SandboxManager) -> None:
    files = flask_files() | {"requirements.txt": "Flask>=3\njinja2~=3.1\nwerkzeug\n# note\n"}
    lines: list[str] = []
    deployment = await manager.deploy("p1", files, on_log=lines.append)
    assert deployment.status == "ready"
    assert not any("Installing" in line for line in lines), lines


async def test_a_missing_package_is_installed_into_the_sandbox(
    manager: SandboxManager, provider: LocalSandboxProvider, python_cache: TemplateCache
) -> None:
    venv_before = tree_digest(python_cache.dependency_dirs("python")[".venv"])
    first = await manager.deploy("p1", flask_files())
    sandbox = await sandbox_of(provider, first)
    name, data = wheel("tessera_demo_pkg", "1.0", "GREETING = 'from a local wheel'\n")
    await sandbox.files.write(f"vendor/{name}", data)

    files = flask_files() | {
        "requirements.txt": f"flask\n./vendor/{name}\n",
        "app.py": APP.format(greeting="x")
        .replace('greeting="x"', "greeting=GREETING")
        .replace("from flask", "from tessera_demo_pkg import GREETING\nfrom flask"),
    }
    lines: list[str] = []
    deployment = await manager.deploy("p1", files, on_log=lines.append)
    assert deployment.status == "ready"
    assert f"[tessera] Installing dependencies: ./vendor/{name}" in lines
    command = "[tessera] $ .venv/bin/python -m pip install"
    [run] = [line for line in lines if line.startswith(command)]
    assert f"--only-binary=:all: --upgrade --target .tessera-packages ./vendor/{name}" in run
    page = await get(await preview_upstream(manager, deployment))
    assert "from a local wheel" in page.text
    assert await sandbox.files.exists(".tessera-packages/tessera_demo_pkg/__init__.py")
    assert tree_digest(python_cache.dependency_dirs("python")[".venv"]) == venv_before

    lines.clear()
    files["templates/index.html"] += "<!-- unchanged requirements -->\n"
    await manager.deploy("p1", files, on_log=lines.append)
    assert not any("Installing" in line for line in lines)


async def test_a_failing_install_says_what_to_check(manager: SandboxManager) -> None:
    files = flask_files() | {"requirements.txt": "flask\n./vendor/missing-1.0-py3-none-any.whl\n"}
    with pytest.raises(DependencyInstallFailed) as caught:
        await manager.deploy("p1", files)
    assert "requirements.txt" in caught.value.message
    assert "missing-1.0-py3-none-any.whl" in caught.value.output


async def test_no_files_keep_the_python_sandbox(manager: SandboxManager) -> None:
    first = await manager.deploy("p1", flask_files())
    again = await manager.deploy("p1", {})
    assert again.sandbox_id == first.sandbox_id and again.status == "ready"
    assert preview_port(again) == preview_port(first)


async def test_a_project_that_turns_python_gets_a_python_sandbox(
    manager: SandboxManager,
) -> None:
    react = await manager.deploy("p1", {})
    assert "vite" in react.log.lower()
    python = await manager.deploy("p1", flask_files(heading="Now in Python"))
    assert python.sandbox_id != react.sandbox_id
    assert "<h1>Now in Python</h1>" in (await get(await preview_upstream(manager, python))).text
    assert await manager.upstream(react.sandbox_id, preview_port(react)) is None
    # A preview still showing the replaced sandbox is sent on to the new one.
    assert manager.successor_url(react.sandbox_id) == python.preview_url
    assert manager.successor_url(python.sandbox_id) is None
    await manager.stop("p1")
    assert manager.successor_url(react.sandbox_id) is None
