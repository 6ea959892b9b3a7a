"""``ProviderPool``: each project's provider, built from its settings and shared by config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tessera.config import Settings
from tessera.errors import ProjectNotFound
from tessera.llm.base import ChatMessage, CompletionRequest, TextDelta
from tessera.llm.offline import OfflineProvider
from tessera.llm.openai import OpenAIProvider
from tessera.llm.pool import ProviderPool
from tessera.llm.testing import FakeOpenAIServer, ScriptedProvider
from tessera.preferences import Preferences
from tessera.store import Store

KEY = "sk-pool-test-0123456789abcd"


@pytest.fixture(autouse=True)
def clean_environment(model_environment_cleared: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return model_environment_cleared


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, offline_pace=0.0)


@pytest.fixture
def preferences(store: Store, settings: Settings) -> Preferences:
    return Preferences(store, settings)


@pytest.fixture
async def pool(settings: Settings, preferences: Preferences) -> AsyncIterator[ProviderPool]:
    providers = ProviderPool(settings, preferences)
    yield providers
    await providers.aclose()


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


async def test_an_unconfigured_project_gets_the_offline_model_at_the_set_pace(
    pool: ProviderPool, store: Store
) -> None:
    project = await store.create_project(name="p")
    provider = await pool.for_project(project.id)
    assert isinstance(provider, OfflineProvider) and provider.pace == 0.0
    assert await pool.label_for(project.id) == {
        "provider": "offline",
        "model": "offline-demo",
        "label": "offline demo model",
    }


async def test_a_key_saved_in_the_settings_reaches_the_model(
    pool: ProviderPool, preferences: Preferences, store: Store, fake: FakeOpenAIServer
) -> None:
    await preferences.update_global(
        {"provider": "openai", "base_url": fake.base_url, "openai_api_key": KEY}
    )
    project = await store.create_project(name="p")
    provider = await pool.for_project(project.id)
    request = CompletionRequest([ChatMessage("user", "hi")])
    text = "".join([i.text async for i in provider.stream(request) if isinstance(i, TextDelta)])
    assert text == "Hello from the fake model."
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert fake.requests[0].body["model"] == "gpt-4o-mini"


async def test_projects_on_one_model_share_a_provider_and_an_override_gets_its_own(
    pool: ProviderPool, preferences: Preferences, store: Store
) -> None:
    await preferences.update_global({"provider": "openai", "openai_api_key": KEY})
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    shared = await pool.for_project(first.id)
    assert await pool.for_project(second.id) is shared
    assert await pool.for_global() is shared

    await preferences.update_project(second.id, {"model": "gpt-4.1"})
    own = await pool.for_project(second.id)
    assert own is not shared
    assert isinstance(own, OpenAIProvider) and own.model == "gpt-4.1"
    assert await pool.label_for(second.id) == {
        "provider": "openai",
        "model": "gpt-4.1",
        "label": "gpt-4.1 via OpenAI",
    }
    assert await pool.for_project(first.id) is shared


async def test_a_new_key_builds_a_new_provider(
    pool: ProviderPool, preferences: Preferences, store: Store
) -> None:
    await preferences.update_global({"provider": "openai", "openai_api_key": KEY})
    project = await store.create_project(name="p")
    before = await pool.for_project(project.id)
    await preferences.update_global({"openai_api_key": KEY + "-rotated"})
    after = await pool.for_project(project.id)
    assert isinstance(after, OpenAIProvider) and after is not before
    assert after._client.api_key == KEY + "-rotated"


async def test_closing_the_pool_closes_every_provider_it_built(
    settings: Settings, preferences: Preferences, store: Store
) -> None:
    pool = ProviderPool(settings, preferences)
    await preferences.update_global({"provider": "openai", "openai_api_key": KEY})
    project = await store.create_project(name="p")
    first = await pool.for_project(project.id)
    await preferences.update_project(project.id, {"model": "gpt-4o"})
    second = await pool.for_project(project.id)
    assert isinstance(first, OpenAIProvider) and isinstance(second, OpenAIProvider)
    assert not first._client.is_closed() and not second._client.is_closed()

    await pool.aclose()
    assert first._client.is_closed() and second._client.is_closed()


async def test_a_fixed_provider_answers_every_project_and_stays_open(
    settings: Settings, preferences: Preferences, store: Store
) -> None:
    fixed = ScriptedProvider(["hi"], label="scripted model")
    pool = ProviderPool(settings, preferences, fixed=fixed)
    await preferences.update_global({"provider": "openai", "openai_api_key": KEY})
    project = await store.create_project(name="p")
    assert await pool.for_project(project.id) is fixed
    assert await pool.for_project("any-project") is fixed
    assert await pool.for_global() is fixed
    assert await pool.label_for(project.id) == {
        "provider": "scripted",
        "model": None,
        "label": "scripted model",
    }
    await pool.aclose()
    assert fixed.closed is False


async def test_an_unknown_project_is_not_found(pool: ProviderPool) -> None:
    with pytest.raises(ProjectNotFound):
        await pool.for_project("nosuchprojct")
    with pytest.raises(ProjectNotFound):
        await pool.label_for("nosuchprojct")
