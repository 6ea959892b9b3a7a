"""The offline model's Python apps: the Flask guestbook (python template) and the full-stack
todo list (fullstack template). Their Python runs under Flask's test client in the
template's own virtual environment; the full-stack front end builds and type-checks."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

import pytest
from offline_support import TEMPLATE_DIR, apply_answer, ask, link_tree, vite_build, write_files

from tessera.llm.offline.intents import detect_kind
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.templates import TemplateCache, template_files

GUESTBOOK = "Create a Flask guestbook"
FULLSTACK = "Build a full-stack todo app with a SQLite database"

GUESTBOOK_CHECK = """\
import json, sys
from app import app

client = app.test_client()
page = client.get("/")
assert page.status_code == 200, page.status_code
empty = client.post("/sign", data={"name": " ", "message": "hi"})
assert empty.status_code == 400 and b"Please write your name" in empty.data
signed = client.post("/sign", data={"name": "Ada", "message": "Hello <b>there</b>"})
assert signed.status_code == 302 and signed.headers["Location"] == "/", signed.headers
page = client.get("/").get_data(as_text=True)
entries = client.get("/api/entries").get_json()
print(json.dumps({"page": page, "entries": entries}))
"""

FULLSTACK_CHECK = """\
import json, sys
sys.path.insert(0, "api")
from app import app

client = app.test_client()
log = {}
log["health"] = client.get("/api/health").get_json()
log["empty"] = client.get("/api/todos").get_json()
created = client.post("/api/todos", json={"text": "  Buy milk "})
log["created"] = [created.status_code, created.get_json()]
client.post("/api/todos", json={"text": "Walk the dog"})
log["blank"] = client.post("/api/todos", json={"text": " "}).status_code
todo_id = created.get_json()["id"]
log["patched"] = client.patch(f"/api/todos/{todo_id}", json={"done": True}).get_json()
log["bad_done"] = client.patch(f"/api/todos/{todo_id}", json={"done": "yes"}).status_code
log["missing"] = client.patch("/api/todos/999", json={"done": True}).status_code
log["deleted"] = client.delete("/api/todos/2").status_code
log["deleted_again"] = client.delete("/api/todos/2").status_code
log["listed"] = client.get("/api/todos").get_json()
print(json.dumps(log))
"""


@pytest.fixture(scope="module")
def venv_python(template_cache: TemplateCache) -> Path:
    """The python template's cached interpreter (Flask installed), warm once per machine."""
    for name in ("python", "fullstack"):
        if not template_cache.is_ready(name):
            asyncio.run(template_cache.warm(name))
    return template_cache.dependency_dirs("python")[".venv"] / "bin" / "python"


def new_app(prompt: str) -> dict[str, str]:
    return asyncio.run(ask(prompt)).files


def run_check(python: Path, folder: Path, script: str) -> dict[str, object]:
    (folder / "check.py").write_text(script)
    result = subprocess.run(
        [str(python), "check.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("Create a Flask guestbook", "guestbook"),
        ("a guest book for my wedding", "guestbook"),
        ("a python web app", "guestbook"),
        ("a flask app", "guestbook"),
        ("a guestbook with a database", "guestbook"),
        ("a full-stack todo app", "fullstack-todo"),
        ("a fullstack app", "fullstack-todo"),
        ("a full stack app", "fullstack-todo"),
        ("a todo app with a backend", "fullstack-todo"),
        ("a todo list with a database", "fullstack-todo"),
        ("todo app with sqlite", "fullstack-todo"),
        ("a todo app with an API", "fullstack-todo"),
        ("a todo list in python", "fullstack-todo"),
        ("a flask todo app", "fullstack-todo"),
        ("Create a React todo app with local storage", "todo"),
        ("a todo app", "todo"),
        ("a kanban board with a database", "kanban"),
        ("an API", None),
    ],
)
def test_new_kinds_are_recognised(prompt: str, kind: str | None) -> None:
    assert detect_kind(prompt) == kind


def test_the_guestbook_is_a_complete_flask_app() -> None:
    answer = asyncio.run(ask(GUESTBOOK))
    files = answer.files
    assert list(files) == ["requirements.txt", "static/style.css", "templates/index.html", "app.py"]
    assert detect_app_type(files) == "python"
    assert files["requirements.txt"].split() == ["flask"]
    app = files["app.py"]
    assert app.splitlines()[0] == "# Made with Tessera's offline demo model (kind: guestbook)"
    compile(app, "app.py", "exec")
    assert "sqlite3" in app and "guestbook.db" in app
    page = files["templates/index.html"]
    assert "<h1>Guestbook</h1>" in page and "<title>Guestbook</title>" in page
    assert "url_for('static', filename='style.css')" in page
    assert re.search(r'<form class="sign-form" method="post"', page)
    assert 'placeholder="Your name" aria-label="Your name"' in page
    assert 'placeholder="Write a message…" aria-label="Message"' in page
    assert "--accent: #db2777;" in files["static/style.css"]  # pink, the guestbook's default
    assert [meta.title for meta in answer.meta] == ["Guestbook"]
    assert answer.chat.startswith("I'll build “Guestbook”, a Flask guestbook")


def test_the_guestbook_runs(venv_python: Path, tmp_path: Path) -> None:
    write_files(tmp_path, new_app(GUESTBOOK + " called Visitors {and} <friends>"))
    found = run_check(venv_python, tmp_path, GUESTBOOK_CHECK)
    page = str(found["page"])
    assert "<h1>Visitors &#123;and&#125; &lt;friends&gt;</h1>" in page
    assert "Ada" in page and "Hello &lt;b&gt;there&lt;/b&gt;" in page  # escaped by Jinja
    assert "1 entry" in page
    entries = found["entries"]
    assert isinstance(entries, list) and entries[0]["name"] == "Ada"
    assert (tmp_path / "guestbook.db").is_file()


def test_the_full_stack_todo_list_is_complete() -> None:
    files = new_app(FULLSTACK)
    assert detect_app_type(files) == "fullstack"
    starter = template_files("fullstack")
    assert files["vite.config.ts"] == starter["vite.config.ts"]
    assert (
        json.loads(files["package.json"])["dependencies"]
        == json.loads(starter["package.json"])["dependencies"]
    )
    assert files["api/requirements.txt"].split() == ["flask"]
    for path in ("api/app.py", "api/db.py"):
        compile(files[path], path, "exec")
    app = files["src/App.tsx"]
    assert app.splitlines()[0] == "// Made with Tessera's offline demo model (kind: fullstack-todo)"
    assert list(files)[-1] == "src/App.tsx"
    assert 'placeholder="What needs to be done?"' in app and ">Add</button>" in app
    assert "localStorage" not in "".join(files.values())
    api = files["src/api.ts"]
    for method in ("'POST'", "'PATCH'", "'DELETE'"):
        assert method in api
    assert "fetch(`/api${path}`" in api


def test_the_full_stack_api_runs(venv_python: Path, tmp_path: Path) -> None:
    write_files(tmp_path, new_app(FULLSTACK))
    found = run_check(venv_python, tmp_path, FULLSTACK_CHECK)
    assert found["health"] == {"status": "ok"}
    assert found["empty"] == []
    assert found["created"] == [201, {"id": 1, "text": "Buy milk", "done": False}]
    assert found["blank"] == 400
    assert found["patched"] == {"id": 1, "text": "Buy milk", "done": True}
    assert (found["bad_done"], found["missing"]) == (400, 404)
    assert (found["deleted"], found["deleted_again"]) == (204, 404)
    assert found["listed"] == [{"id": 1, "text": "Buy milk", "done": True}]
    assert (tmp_path / "api" / "data.db").is_file()


def test_the_full_stack_front_end_builds(node_modules: Path, tmp_path: Path) -> None:
    files = new_app(FULLSTACK)
    follow_up = asyncio.run(ask("call it Chores & Co and make it purple", files))
    for name, variant in (("new", files), ("followed-up", apply_answer(files, follow_up))):
        write_files(tmp_path / name, variant)
        vite_build(tmp_path / name, node_modules)
    built = (tmp_path / "followed-up" / "dist" / "index.html").read_text()
    assert "<title>Chores &amp; Co</title>" in built


def test_the_full_stack_front_end_type_checks(typecheck_modules: Path, tmp_path: Path) -> None:
    write_files(tmp_path / "app", new_app(FULLSTACK))
    link_tree(typecheck_modules, tmp_path / "node_modules")
    options = json.loads((TEMPLATE_DIR / "tsconfig.json").read_text())["compilerOptions"]
    (tmp_path / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "include": ["app/src"]})
    )
    result = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "-p", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"type errors:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("prompt", [GUESTBOOK, FULLSTACK])
def test_title_colour_and_dark_mode_follow_ups(prompt: str) -> None:
    files = new_app(prompt)
    answer = asyncio.run(ask("rename it to Our {Wall} and make it teal, then go dark", files))
    after = apply_answer(files, answer)
    guestbook = "app.py" in files
    heading = after["templates/index.html" if guestbook else "src/App.tsx"]
    page = after["templates/index.html" if guestbook else "index.html"]
    css = after["static/style.css" if guestbook else "src/App.css"]
    assert "<h1>Our &#123;Wall&#125;</h1>" in heading
    expected_title = "Our &#123;Wall&#125;" if guestbook else "Our {Wall}"
    assert f"<title>{expected_title}</title>" in page
    assert "--accent: #0d9488;" in css and "color-scheme: dark;" in css
    assert [meta.title for meta in answer.meta] == ["Our {Wall}"]
    assert "renamed it" in answer.chat and "teal" in answer.chat
    for path, content in after.items():
        if path.endswith(".py"):
            compile(content, path, "exec")


def test_what_these_apps_cannot_do_is_said() -> None:
    guestbook = new_app(GUESTBOOK)
    answer = asyncio.run(ask("add a field for email", guestbook))
    assert not answer.edits and "name and message" in answer.chat
    todos = new_app(FULLSTACK)
    answer = asyncio.run(ask("add a todo buy milk", todos))
    assert not answer.edits and "database" in answer.chat


def test_switching_kinds_leaves_no_files_of_the_old_app() -> None:
    react = new_app("a todo app")
    to_guestbook = asyncio.run(ask("now build me a guestbook", react))
    guestbook = apply_answer(react, to_guestbook)
    assert set(guestbook) == {
        "app.py",
        "requirements.txt",
        "templates/index.html",
        "static/style.css",
    }
    assert detect_app_type(guestbook) == "python"
    assert "replaces the current todo list" in to_guestbook.chat

    to_fullstack = asyncio.run(ask("build a full-stack todo app", guestbook))
    fullstack = apply_answer(guestbook, to_fullstack)
    assert "app.py" not in fullstack and "templates/index.html" not in fullstack
    assert detect_app_type(fullstack) == "fullstack"


def test_unknown_requests_mention_the_new_kinds() -> None:
    answer = asyncio.run(ask("write me an operating system"))
    assert "Flask guestbook" in answer.chat and "full-stack todo list" in answer.chat
