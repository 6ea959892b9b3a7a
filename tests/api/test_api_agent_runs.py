"""Modes, fixes, autofix, locks, enhance and bad model output through the HTTP API, with
scripted models and real local sandboxes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.llm.base import CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.llm.offline import OfflineProvider
from tessera.protocol.format import render_file
from tessera.sandbox.templates import TemplateCache, template_files
from tests.agent.agent_support import Answer, SequenceProvider
from tests.api.conftest import ClientFactory
from tests.api.sse import custom, parse_sse, types

BROKEN_APP = """\
from flask import Flask

app = Flask(__name__)

@app.get("/")
def index(:
    return "hi"
"""
FIXED_APP = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "<h1>Fixed</h1>"
"""


@pytest.fixture(autouse=True)
def python_template(template_cache: TemplateCache) -> None:
    if not template_cache.is_ready("python"):
        asyncio.run(template_cache.warm("python"))


def run(client: TestClient, pid: str, **body: Any) -> list[dict[str, Any]]:
    with client.stream("POST", f"/api/projects/{pid}/runs", json=body) as answer:
        assert answer.status_code == 200, answer.read()
        return parse_sse(answer.iter_lines())


def new_project(client: TestClient) -> str:
    pid: str = client.post("/api/projects", json={"name": "t"}).json()["id"]
    return pid


def python_app(app_py: str) -> str:
    files = template_files("python")
    files["app.py"] = app_py
    return "Here you go.\n" + "".join(render_file(p, c) for p, c in files.items())


def test_chat_mode_answers_and_changes_no_file(make_client: ClientFactory) -> None:
    provider = SequenceProvider(
        'It keeps the list in state.\n<tessera-file path="src/App.tsx">\nhacked\n</tessera-file>'
    )
    client = make_client(provider)
    pid = new_project(client)
    events = run(client, pid, prompt="How does it work?", mode="chat")
    assert types(events)[-1] == "RUN_FINISHED"
    assert not custom(events, "version_created")
    assert not custom(events, "e2b_deployment")
    assert any("chat mode" in e["message"] for e in custom(events, "action_error"))
    assert client.get(f"/api/projects/{pid}/files").json() == []
    request = provider.requests[0]
    assert request.purpose == "chat"
    assert "This is chat mode" in request.messages[0].content


def test_fix_without_errors_is_refused_clearly(make_client: ClientFactory) -> None:
    client = make_client(SequenceProvider())
    pid = new_project(client)
    events = run(client, pid, action="fix")
    assert types(events) == ["RUN_STARTED", "RUN_ERROR"]
    assert "no errors to fix" in events[-1]["message"]


def test_an_empty_message_is_refused_but_an_empty_fix_is_not(make_client: ClientFactory) -> None:
    client = make_client(SequenceProvider())
    pid = new_project(client)
    answer = client.post(f"/api/projects/{pid}/runs", json={"prompt": "  "})
    assert answer.status_code == 422
    assert "prompt is empty" in answer.json()["error"]["message"]
    bad_mode = client.post(f"/api/projects/{pid}/runs", json={"prompt": "x", "mode": "yolo"})
    assert bad_mode.status_code == 422


def test_enhance_rewrites_a_short_request(make_client: ClientFactory) -> None:
    client = make_client(OfflineProvider(pace=0))
    pid = new_project(client)
    answer = client.post(f"/api/projects/{pid}/enhance", json={"prompt": "a todo app"})
    assert answer.status_code == 200
    enhanced = answer.json()["prompt"]
    assert enhanced.startswith("A todo app.")
    assert "Include:" in enhanced and len(enhanced) > 3 * len("a todo app")
    empty = client.post(f"/api/projects/{pid}/enhance", json={"prompt": " "})
    assert empty.status_code == 422
    assert client.get(f"/api/projects/{pid}/files").json() == []


def test_a_crashing_app_is_fixed_automatically(make_client: ClientFactory) -> None:
    provider = SequenceProvider(python_app(BROKEN_APP), python_app(FIXED_APP))
    client = make_client(provider)
    pid = new_project(client)
    events = run(client, pid, prompt="a flask hello app")
    assert types(events)[-1] == "RUN_FINISHED"
    statuses = [a["status"] for a in custom(events, "autofix")]
    assert statuses == ["started", "fixed"]
    errors = custom(events, "app_error")[0]["errors"]
    assert "SyntaxError" in (errors[0]["detail"] or "") + errors[0]["message"]
    fix_request = provider.requests[1].messages[-1].content
    assert "The app has these errors" in fix_request and "SyntaxError" in fix_request
    assert client.get(f"/api/projects/{pid}/files/app.py").json()["content"] == FIXED_APP
    versions = client.get(f"/api/projects/{pid}").json()["versions"]
    assert len(versions) == 2
    preview = custom(events, "e2b_preview")[-1]
    assert preview["ready"] is True


def test_autofix_stops_after_its_attempts_and_says_so(make_client: ClientFactory) -> None:
    still_broken = [python_app(BROKEN_APP + f"\n# attempt {n}\n") for n in range(3)]
    provider = SequenceProvider(*still_broken)
    client = make_client(provider)
    pid = new_project(client)
    events = run(client, pid, prompt="a flask hello app")
    autofix = custom(events, "autofix")
    assert [a["status"] for a in autofix] == ["started", "started", "gave_up"]
    assert autofix[-1]["max"] == 2
    assert types(events)[-1] == "RUN_ERROR"
    assert len(provider.requests) == 3


def test_locked_files_are_never_changed_by_the_model(make_client: ClientFactory) -> None:
    files = template_files("python")
    client = make_client(
        SequenceProvider(
            "".join(render_file(p, c) for p, c in files.items()),
            render_file("app.py", FIXED_APP) + render_file("notes.md", "# Notes\n"),
        )
    )
    pid = new_project(client)
    assert types(run(client, pid, prompt="a flask app"))[-1] == "RUN_FINISHED"
    locked = client.put(f"/api/projects/{pid}/settings", json={"locked_files": ["app.py"]})
    assert locked.status_code == 200, locked.text
    events = run(client, pid, prompt="change it")
    assert any("locked" in e["message"] for e in custom(events, "action_error"))
    assert client.get(f"/api/projects/{pid}/files/app.py").json()["content"] == files["app.py"]
    assert client.get(f"/api/projects/{pid}/files/notes.md").json()["content"] == "# Notes\n"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ('<tessera-file path="huge.txt">\n' + "x" * 5_000_000 + "\n</tessera-file>", "MB"),
        ('<tessera-file path="blob.bin">\n\x00\x01\x02PNG\x00\x00\n</tessera-file>', "binary"),
        ('<tessera-file path="../../etc/passwd">\nroot\n</tessera-file>', "inside the project"),
        ('<tessera-file path="src/unclosed.ts">\nexport const a = 1\n', None),
    ],
    ids=["5MB", "binary", "path-attack", "unclosed-tag"],
)
def test_bad_model_output_keeps_the_work_before_it(
    make_client: ClientFactory, tail: str, expected: str | None
) -> None:
    good = render_file("notes.md", "# Kept\n")
    client = make_client(SequenceProvider(Answer(good + tail), chunk=4096))
    pid = new_project(client)
    events = run(client, pid, prompt="do it", mode="build")
    assert types(events)[-1] in ("RUN_FINISHED", "RUN_ERROR")
    errors = [e["message"] for e in custom(events, "action_error")]
    if expected is not None:
        assert any(expected in message for message in errors), errors
    else:
        assert errors, "the broken part must be reported"
    assert client.get(f"/api/projects/{pid}/files/notes.md").json()["content"] == "# Kept\n"
    assert custom(events, "version_created")
    assert client.get("/api/health").json() == {"status": "ok"}


def test_an_answer_in_invalid_json_is_reported_and_changes_nothing(
    make_client: ClientFactory,
) -> None:
    client = make_client(SequenceProvider('{"title": "X", "files": {"src/x.ts": "broken'))
    pid = new_project(client)
    events = run(client, pid, prompt="do it")
    errors = [e["message"] for e in custom(events, "action_error")]
    assert any("JSON answer could not be read" in message for message in errors), errors
    assert client.get(f"/api/projects/{pid}/files").json() == []
    assert client.get("/api/health").json() == {"status": "ok"}


class _ByPrompt:
    """Answers "huge" requests with a 5 MB file streamed slowly, others with a small file."""

    name = "scripted"
    label = "scripted model"
    model = "scripted-1"

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        prompt = request.messages[-1].content
        if "huge" in prompt:
            yield TextDelta('<tessera-file path="huge.txt">\n')
            for _ in range(100):
                await asyncio.sleep(0.02)
                yield TextDelta("x" * 50_000)
            yield TextDelta("\n</tessera-file>")
        else:
            yield TextDelta(render_file("notes.md", "# Small\n"))
        yield StreamEnd("stop", Usage(10, 10))

    async def aclose(self) -> None:
        return None


def test_a_runaway_answer_does_not_hold_up_other_projects(make_client: ClientFactory) -> None:
    client = make_client(_ByPrompt())
    huge, small = new_project(client), new_project(client)
    done: dict[str, float] = {}

    def run_huge() -> None:
        run(client, huge, prompt="huge file please")
        done["huge"] = time.monotonic()

    thread = threading.Thread(target=run_huge)
    thread.start()
    time.sleep(0.3)
    events = run(client, small, prompt="small file")
    done["small"] = time.monotonic()
    thread.join(timeout=60)
    assert types(events)[-1] == "RUN_FINISHED"
    assert done["small"] < done["huge"], "the small run waited for the runaway one"
    assert client.get(f"/api/projects/{small}/files/notes.md").json()["content"] == "# Small\n"
    assert client.get(f"/api/projects/{huge}/files").json() == []


def test_a_hand_edit_that_crashes_the_app_is_kept_and_reported(
    make_client: ClientFactory,
) -> None:
    client = make_client(SequenceProvider(python_app(FIXED_APP)))
    pid = new_project(client)
    assert types(run(client, pid, prompt="a flask app"))[-1] == "RUN_FINISHED"
    answer = client.post(f"/api/projects/{pid}/deploy", json={"files": {"app.py": BROKEN_APP}})
    assert answer.status_code == 200, answer.text
    deployment = answer.json()
    assert deployment["status"] == "error"
    assert "SyntaxError" in deployment["log"] + (deployment["error"] or "")
    assert client.get(f"/api/projects/{pid}/files/app.py").json()["content"] == BROKEN_APP
    versions = client.get(f"/api/projects/{pid}").json()["versions"]
    assert "Hand edits: app.py" in [v["message"] for v in versions]
