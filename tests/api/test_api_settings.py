"""``/api/settings`` and ``/api/projects/{id}/settings``: the settings page's API.

The app here is the settings router alone with the app's error handling, over a real
store, so that the pool reading the same preferences can be checked beside it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tessera.api import settings as settings_api
from tessera.api.errors import install_error_handlers
from tessera.config import Settings
from tessera.llm.base import ChatMessage, CompletionRequest, TextDelta
from tessera.llm.pool import ProviderPool
from tessera.llm.testing import FakeAnthropicServer, FakeOpenAIServer
from tessera.preferences import Preferences
from tessera.store import Store

OPENAI_KEY = "sk-proj-Qx7vT3mN9pL2wR8kJ4hG6fD1sA5zXc0b"
ANTHROPIC_KEY = "sk-ant-api03-Lm4Nb8Vc2Xz6Qw1Er5Ty9Ui3Op7As0dF"
PROJECT_OPENAI_KEY = "sk-proj-Pr0jectOnly7mWq2Lx9Zc4Vb8Nn1Hh"
PROJECT_ANTHROPIC_KEY = "sk-ant-api03-Pr0jectAnthr0pic3Kd8Ws5Eu"
KEYS = (OPENAI_KEY, ANTHROPIC_KEY, PROJECT_OPENAI_KEY, PROJECT_ANTHROPIC_KEY)


@pytest.fixture(autouse=True)
def clean_environment(model_environment_cleared: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return model_environment_cleared


def settings_app(preferences: Preferences) -> FastAPI:
    """The settings router with the error handling ``tessera.app.create_app`` installs."""
    app = FastAPI()
    app.include_router(settings_api.router)
    app.state.preferences = preferences

    install_error_handlers(app)

    return app


@dataclass
class Env:
    client: httpx.AsyncClient
    store: Store
    pool: ProviderPool


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, offline_pace=0.0)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    preferences = Preferences(store, settings)
    pool = ProviderPool(settings, preferences)
    transport = httpx.ASGITransport(app=settings_app(preferences))
    async with httpx.AsyncClient(transport=transport, base_url="http://tessera") as client:
        yield Env(client, store, pool)
    await pool.aclose()
    await store.close()


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(default_chunks=["from", " the fake"]) as running:
        yield running


async def put(env: Env, url: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = await env.client.put(url, json=body)
    assert response.status_code == status, response.text
    document: dict[str, Any] = response.json()
    return document


async def get(env: Env, url: str) -> httpx.Response:
    response = await env.client.get(url)
    assert response.status_code == 200, response.text
    return response


def assert_no_key_in(body: str) -> None:
    """The raw text of a response holds no key, nor the middle a hint leaves out."""
    for key in KEYS:
        assert key not in body
        assert key[3:-4] not in body
        assert key[8:16] not in body


async def answer_of(env: Env, project_id: str) -> str:
    """What the project's provider answers to one message (so that it reaches a server)."""
    provider = await env.pool.for_project(project_id)
    request = CompletionRequest([ChatMessage("user", "hi")])
    return "".join([i.text async for i in provider.stream(request) if isinstance(i, TextDelta)])


async def test_the_defaults(env: Env) -> None:
    view = (await get(env, "/api/settings")).json()
    assert view["provider"] is None and view["autofix"] is True and view["autofix_attempts"] == 2
    assert view["effective"] == {
        "provider": "offline",
        "model": "offline-demo",
        "label": "offline demo model",
    }
    assert {p["name"] for p in view["providers"]} == {"offline", "openai", "anthropic"}
    assert view["keys"]["openai"] == {"set": False, "hint": None, "source": None}


async def test_a_key_set_through_put_is_used_but_never_returned(
    env: Env, fake: FakeOpenAIServer
) -> None:
    project = await env.store.create_project(name="p")
    answer = await put(
        env,
        "/api/settings",
        {"provider": "openai", "base_url": fake.base_url, "openai_api_key": OPENAI_KEY},
    )
    assert answer["keys"]["openai"] == {"set": True, "hint": "sk-…Xc0b", "source": "settings"}
    await put(env, "/api/settings", {"anthropic_api_key": ANTHROPIC_KEY})

    bodies = [
        (await get(env, "/api/settings")).text,
        (await get(env, f"/api/projects/{project.id}/settings")).text,
        (await env.client.put("/api/settings", json={"autofix": True})).text,
        (await env.client.put(f"/api/projects/{project.id}/settings", json={})).text,
    ]
    for body in bodies:
        for key in (OPENAI_KEY, ANTHROPIC_KEY):
            assert key not in body
            assert key[3:-4] not in body  # no more than the hint's ends
            assert key[8:16] not in body
    assert "sk-…Xc0b" in bodies[0] and "sk-…s0dF" in bodies[0]

    provider = await env.pool.for_project(project.id)
    request = CompletionRequest([ChatMessage("user", "hi")])
    text = "".join([i.text async for i in provider.stream(request) if isinstance(i, TextDelta)])
    assert text == "from the fake"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"


async def test_hints_mask_all_but_the_last_four_characters(env: Env) -> None:
    view = await put(env, "/api/settings", {"anthropic_api_key": ANTHROPIC_KEY})
    hint = view["keys"]["anthropic"]["hint"]
    assert hint == "sk-…s0dF"
    assert hint.split("…")[1] == ANTHROPIC_KEY[-4:]


async def test_a_project_override_wins_and_clearing_falls_back(env: Env) -> None:
    project = await env.store.create_project(name="p")
    other = await env.store.create_project(name="other")
    await put(
        env,
        "/api/settings",
        {"provider": "openai", "model": "gpt-4o", "openai_api_key": OPENAI_KEY},
    )
    url = f"/api/projects/{project.id}/settings"

    view = await put(env, url, {"model": "gpt-4.1-mini", "autofix_attempts": 0})
    assert view["model"] == "gpt-4.1-mini" and view["autofix_attempts"] == 0
    assert view["effective"] == {
        "provider": "openai",
        "model": "gpt-4.1-mini",
        "label": "gpt-4.1-mini via OpenAI",
        "autofix": False,
        "autofix_attempts": 0,
    }
    assert (await env.pool.label_for(project.id))["model"] == "gpt-4.1-mini"
    assert (await env.pool.label_for(other.id))["model"] == "gpt-4o"

    view = await put(env, url, {"model": None, "autofix_attempts": None})
    assert view["model"] is None and view["autofix_attempts"] is None
    assert view["effective"]["model"] == "gpt-4o"
    assert view["effective"]["autofix"] is True and view["effective"]["autofix_attempts"] == 2
    assert (await env.pool.label_for(project.id))["model"] == "gpt-4o"

    view = await put(env, "/api/settings", {"provider": None})
    assert view["effective"]["provider"] == "openai"  # the saved key still chooses OpenAI
    view = await put(env, "/api/settings", {"provider": "offline"})
    project_view = (await get(env, url)).json()
    assert project_view["effective"]["provider"] == "offline"


async def test_put_changes_only_the_fields_it_names(env: Env) -> None:
    await put(env, "/api/settings", {"autofix_attempts": 4, "autofix": False})
    view = await put(env, "/api/settings", {"autofix": True})
    assert view["autofix_attempts"] == 4 and view["autofix"] is True


async def test_locked_files_round_trip(env: Env) -> None:
    project = await env.store.create_project(name="p")
    url = f"/api/projects/{project.id}/settings"
    view = await put(env, url, {"locked_files": ["src/App.tsx", "./index.html"]})
    assert view["locked_files"] == ["index.html", "src/App.tsx"]
    assert (await get(env, url)).json()["locked_files"] == ["index.html", "src/App.tsx"]
    assert (await put(env, url, {"locked_files": []}))["locked_files"] == []


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"provider": "gemini"}, "invalid_input", "Unknown provider 'gemini'"),
        ({"provider": "openai"}, "invalid_input", "OPENAI_API_KEY"),
        ({"provider": "anthropic"}, "invalid_input", "ANTHROPIC_API_KEY"),
        ({"autofix_attempts": 9}, "invalid_input", "from 0 to 5"),
        ({"autofix_attempts": "two"}, "invalid_input", "valid integer"),
        ({"autofix": "yes"}, "invalid_input", "valid boolean"),
        ({"base_url": "not a url"}, "invalid_input", "http(s) address"),
        ({"temperature": 1}, "invalid_input", "Extra inputs are not permitted"),
    ],
)
async def test_invalid_global_values_are_a_422_with_a_message(
    env: Env, body: dict[str, Any], code: str, message: str
) -> None:
    error = (await put(env, "/api/settings", body, status=422))["error"]
    assert error["code"] == code and message in error["message"]
    assert (await get(env, "/api/settings")).json()["effective"]["provider"] == "offline"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"locked_files": ["../secrets.txt"]}, "invalid_path", "inside the project"),
        ({"locked_files": ["node_modules/x.js"]}, "invalid_path", "node_modules"),
        ({"autofix_attempts": -1}, "invalid_input", "from 0 to 5"),
        ({"provider": "anthropic"}, "invalid_input", "ANTHROPIC_API_KEY"),
        ({"base_url": "not a url"}, "invalid_input", "http(s) address"),
        ({"openai_api_key": "two words"}, "invalid_input", "does not look like an API key"),
        ({"anthropic_api_key": 12}, "invalid_input", "valid string"),
        ({"openai_api_key": "k" * 1001}, "invalid_input", "at most 1000 characters"),
        ({"temperature": 1}, "invalid_input", "Extra inputs are not permitted"),
    ],
)
async def test_invalid_project_values_are_a_422_with_a_message(
    env: Env, body: dict[str, Any], code: str, message: str
) -> None:
    project = await env.store.create_project(name="p")
    url = f"/api/projects/{project.id}/settings"
    response = await env.client.put(url, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and message in error["message"]
    assert "two words" not in response.text and "kkkkkkkk" not in response.text
    assert await env.store.get_settings(project.id) == {}


async def test_an_unknown_project_is_a_404(env: Env) -> None:
    response = await env.client.get("/api/projects/nosuchprojct/settings")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "project_not_found"
    response = await env.client.put("/api/projects/global/settings", json={"model": "x"})
    assert response.status_code == 404


# --- a project's own keys and base URL --------------------------------------------------------


async def test_a_project_key_reaches_that_project_s_provider_only(
    env: Env, fake: FakeOpenAIServer
) -> None:
    project = await env.store.create_project(name="p")
    other = await env.store.create_project(name="other")
    await put(
        env,
        "/api/settings",
        {"provider": "openai", "base_url": fake.base_url, "openai_api_key": OPENAI_KEY},
    )
    url = f"/api/projects/{project.id}/settings"
    view = await put(env, url, {"openai_api_key": PROJECT_OPENAI_KEY})
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…n1Hh", "source": "project"}
    assert view["base_url"] is None

    assert await answer_of(env, project.id) == "from the fake"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {PROJECT_OPENAI_KEY}"
    assert await answer_of(env, other.id) == "from the fake"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    provider = await env.pool.for_global()
    request = CompletionRequest([ChatMessage("user", "hi")])
    assert [i async for i in provider.stream(request) if isinstance(i, TextDelta)]
    assert fake.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"

    other_view = (await get(env, f"/api/projects/{other.id}/settings")).json()
    assert other_view["keys"]["openai"] == {"set": True, "hint": "sk-…Xc0b", "source": "settings"}


async def test_a_project_s_own_provider_base_url_and_key_reach_its_server(
    env: Env, fake: FakeOpenAIServer
) -> None:
    project = await env.store.create_project(name="p")
    other = await env.store.create_project(name="other")
    await put(
        env,
        "/api/settings",
        {"provider": "openai", "base_url": fake.base_url, "openai_api_key": OPENAI_KEY},
    )
    url = f"/api/projects/{project.id}/settings"
    with FakeAnthropicServer(default_chunks=["from", " anthropic"]) as anthropic:
        view = await put(
            env,
            url,
            {
                "provider": "anthropic",
                "base_url": anthropic.base_url,
                "anthropic_api_key": PROJECT_ANTHROPIC_KEY,
            },
        )
        assert view["base_url"] == anthropic.base_url
        assert view["effective"]["provider"] == "anthropic"
        assert view["keys"]["anthropic"]["source"] == "project"
        assert await answer_of(env, project.id) == "from anthropic"
        sent = anthropic.requests[-1].headers
        assert sent["authorization"] == f"Bearer {PROJECT_ANTHROPIC_KEY}"
    assert await answer_of(env, other.id) == "from the fake"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert all(PROJECT_ANTHROPIC_KEY not in str(r.headers) for r in fake.requests)


async def test_no_response_holds_a_key_global_or_a_project_s(
    env: Env, fake: FakeOpenAIServer
) -> None:
    project = await env.store.create_project(name="p")
    other = await env.store.create_project(name="other")
    url = f"/api/projects/{project.id}/settings"
    bodies = [
        (
            await env.client.put(
                "/api/settings",
                json={
                    "provider": "openai",
                    "base_url": fake.base_url,
                    "openai_api_key": OPENAI_KEY,
                    "anthropic_api_key": ANTHROPIC_KEY,
                },
            )
        ).text,
        (
            await env.client.put(
                url,
                json={
                    "openai_api_key": PROJECT_OPENAI_KEY,
                    "anthropic_api_key": PROJECT_ANTHROPIC_KEY,
                },
            )
        ).text,
        (await env.client.put(url, json={"model": "gpt-4.1"})).text,
        (await env.client.put(url, json={"provider": "anthropic", "base_url": None})).text,
        (await env.client.put(url, json={"openai_api_key": "not a key"})).text,
        (await env.client.get(url)).text,
        (await env.client.get(f"/api/projects/{other.id}/settings")).text,
        (await env.client.get("/api/settings")).text,
        (await env.client.put("/api/settings", json={"autofix": False})).text,
    ]
    for body in bodies:
        assert_no_key_in(body)
    project_view = (await get(env, url)).json()
    assert project_view["keys"] == {
        "openai": {"set": True, "hint": "sk-…n1Hh", "source": "project"},
        "anthropic": {"set": True, "hint": "sk-…s5Eu", "source": "project"},
    }
    assert (await env.store.get_settings(project.id))["openai_api_key"] == PROJECT_OPENAI_KEY


async def test_clearing_a_project_key_or_base_url_falls_back(
    env: Env, fake: FakeOpenAIServer
) -> None:
    project = await env.store.create_project(name="p")
    await put(
        env,
        "/api/settings",
        {"provider": "openai", "base_url": fake.base_url, "openai_api_key": OPENAI_KEY},
    )
    url = f"/api/projects/{project.id}/settings"
    with FakeOpenAIServer(default_chunks=["own", " server"]) as own:
        await put(env, url, {"base_url": own.base_url, "openai_api_key": PROJECT_OPENAI_KEY})
        assert await answer_of(env, project.id) == "own server"
        assert own.requests[-1].headers["authorization"] == f"Bearer {PROJECT_OPENAI_KEY}"

        view = await put(env, url, {"openai_api_key": ""})
        assert view["keys"]["openai"] == {"set": True, "hint": "sk-…Xc0b", "source": "settings"}
        assert await answer_of(env, project.id) == "own server"
        assert own.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"

    view = await put(env, url, {"base_url": None})
    assert view["base_url"] is None
    assert await answer_of(env, project.id) == "from the fake"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert await env.store.get_settings(project.id) == {}


async def test_removing_a_project_s_only_key_in_use_is_a_422(env: Env) -> None:
    project = await env.store.create_project(name="p")
    url = f"/api/projects/{project.id}/settings"
    await put(env, url, {"provider": "anthropic", "anthropic_api_key": PROJECT_ANTHROPIC_KEY})
    error = (await put(env, url, {"anthropic_api_key": None}, status=422))["error"]
    assert "ANTHROPIC_API_KEY" in error["message"]
    view = (await get(env, url)).json()
    assert view["keys"]["anthropic"]["source"] == "project"
    assert view["effective"]["provider"] == "anthropic"
