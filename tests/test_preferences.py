"""The agent's configuration: environment < global settings < project settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tessera.config import Settings
from tessera.errors import InvalidInput, InvalidPath, ProjectNotFound
from tessera.llm.anthropic import DEFAULT_MODEL as ANTHROPIC_DEFAULT
from tessera.preferences import AgentPreferences, ModelConfig, Preferences, mask_key
from tessera.store import GLOBAL_SCOPE, Store

OPENAI_KEY = "sk-proj-abcdefghijklmnop1234wxyz"
ANTHROPIC_KEY = "sk-ant-api03-zyxwvutsrqponm5678"


@pytest.fixture(autouse=True)
def clean_environment(model_environment_cleared: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return model_environment_cleared


def preferences_of(store: Store, **settings: Any) -> Preferences:
    return Preferences(store, Settings(data_dir=Path("/nonexistent"), **settings))


@pytest.fixture
def preferences(store: Store) -> Preferences:
    return preferences_of(store)


async def test_an_unconfigured_installation_runs_the_offline_model(
    preferences: Preferences,
) -> None:
    view = await preferences.global_view()
    assert view["provider"] is None and view["model"] is None and view["base_url"] is None
    assert view["autofix"] is True and view["autofix_attempts"] == 2
    assert view["keys"] == {
        "openai": {"set": False, "hint": None, "source": None},
        "anthropic": {"set": False, "hint": None, "source": None},
    }
    assert [(p["name"], p["needs_key"]) for p in view["providers"]] == [
        ("offline", False),
        ("openai", True),
        ("anthropic", True),
    ]
    assert view["effective"] == {
        "provider": "offline",
        "model": "offline-demo",
        "label": "offline demo model",
    }


async def test_a_saved_key_is_used_but_only_its_hint_is_shown(
    preferences: Preferences, store: Store
) -> None:
    view = await preferences.update_global({"provider": "openai", "openai_api_key": OPENAI_KEY})
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…wxyz", "source": "settings"}
    assert view["effective"] == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "label": "gpt-4o-mini via OpenAI",
    }
    assert OPENAI_KEY not in repr(view) and "abcdefgh" not in repr(view)
    assert (await store.get_settings(GLOBAL_SCOPE))["openai_api_key"] == OPENAI_KEY
    project = await store.create_project(name="p")
    chosen = await preferences.for_project(project.id)
    assert chosen.model == ModelConfig("openai", None, None, OPENAI_KEY)
    assert OPENAI_KEY not in repr(chosen)


async def test_a_key_from_the_environment_is_reported_as_such(store: Store) -> None:
    preferences = preferences_of(store, openai_api_key=SecretStr(OPENAI_KEY))
    view = await preferences.global_view()
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…wxyz", "source": "env"}
    assert view["effective"]["provider"] == "openai"
    assert view["defaults"]["provider"] == "openai"


async def test_a_saved_key_wins_over_the_environment_s(store: Store) -> None:
    preferences = preferences_of(store, openai_api_key=SecretStr("sk-env-0000000000000000"))
    await preferences.update_global({"openai_api_key": OPENAI_KEY})
    assert (await preferences.global_model()).api_key == OPENAI_KEY
    await preferences.update_global({"openai_api_key": ""})
    assert (await preferences.global_model()).api_key == "sk-env-0000000000000000"
    assert (await preferences.global_view())["keys"]["openai"]["source"] == "env"


async def test_choosing_a_provider_without_its_key_says_what_to_set(
    preferences: Preferences, store: Store
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await preferences.update_global({"provider": "openai"})
    assert "OPENAI_API_KEY" in caught.value.message and "openai_api_key" in caught.value.message
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        await preferences.update_global({"provider": "anthropic", "model": "claude-opus-4-5"})
    assert await store.get_settings(GLOBAL_SCOPE) == {}


async def test_a_compatible_server_needs_no_key(preferences: Preferences) -> None:
    view = await preferences.update_global(
        {"provider": "openai", "base_url": "http://localhost:11434/v1", "model": "llama3.2"}
    )
    assert view["effective"]["label"] == "llama3.2 via localhost:11434"
    model = await preferences.global_model()
    assert model == ModelConfig("openai", "llama3.2", "http://localhost:11434/v1", None)


async def test_removing_the_key_in_use_is_refused(preferences: Preferences) -> None:
    await preferences.update_global({"provider": "anthropic", "anthropic_api_key": ANTHROPIC_KEY})
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        await preferences.update_global({"anthropic_api_key": ""})
    assert (await preferences.global_model()).api_key == ANTHROPIC_KEY


async def test_null_falls_back_to_the_environment(store: Store) -> None:
    preferences = preferences_of(
        store, llm_provider="openai", llm_base_url="http://127.0.0.1:8000/v1", llm_model="qwen"
    )
    await preferences.update_global({"provider": "offline"})
    assert (await preferences.global_view())["effective"]["provider"] == "offline"
    view = await preferences.update_global({"provider": None})
    assert view["provider"] is None
    assert view["effective"] == {
        "provider": "openai",
        "model": "qwen",
        "label": "qwen via 127.0.0.1:8000",
    }
    assert view["defaults"]["base_url"] == "http://127.0.0.1:8000/v1"


async def test_a_saved_key_chooses_its_provider_when_nothing_else_does(
    preferences: Preferences,
) -> None:
    view = await preferences.update_global({"anthropic_api_key": ANTHROPIC_KEY})
    assert view["effective"]["provider"] == "anthropic"
    assert view["effective"]["model"] == ANTHROPIC_DEFAULT
    assert view["keys"]["anthropic"]["hint"] == "sk-…5678"


async def test_autofix_settings_override_the_environment(store: Store) -> None:
    preferences = preferences_of(store, autofix=False, autofix_attempts=4)
    view = await preferences.global_view()
    assert (view["autofix"], view["autofix_attempts"]) == (False, 4)
    view = await preferences.update_global({"autofix": True, "autofix_attempts": 1})
    assert (view["autofix"], view["autofix_attempts"]) == (True, 1)
    view = await preferences.update_global({"autofix": None, "autofix_attempts": None})
    assert (view["autofix"], view["autofix_attempts"]) == (False, 4)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"provider": "gemini"}, "Unknown provider 'gemini'"),
        ({"autofix_attempts": 6}, "from 0 to 5"),
        ({"autofix_attempts": -1}, "from 0 to 5"),
        ({"autofix_attempts": True}, "from 0 to 5"),
        ({"autofix_attempts": "2"}, "from 0 to 5"),
        ({"autofix": "yes"}, "true or false"),
        ({"model": "gpt 4o"}, "without spaces"),
        ({"model": 4}, "must be a name"),
        ({"base_url": "localhost:11434"}, "http(s) address"),
        ({"base_url": "ftp://example.com"}, "http(s) address"),
        ({"openai_api_key": "sk two words"}, "does not look like an API key"),
        ({"temperature": 0.2}, "Unknown global setting 'temperature'"),
        ({"locked_files": ["a.txt"]}, "Unknown global setting 'locked_files'"),
    ],
)
async def test_bad_global_values_are_refused_with_a_reason(
    preferences: Preferences, store: Store, patch: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await preferences.update_global(patch)
    assert message in caught.value.message
    assert await store.get_settings(GLOBAL_SCOPE) == {}


# --- projects --------------------------------------------------------------------------------


async def test_a_project_overrides_the_global_model_and_clearing_falls_back(
    preferences: Preferences, store: Store
) -> None:
    await preferences.update_global(
        {
            "provider": "openai",
            "model": "gpt-4.1",
            "openai_api_key": OPENAI_KEY,
            "anthropic_api_key": ANTHROPIC_KEY,
        }
    )
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")

    view = await preferences.update_project(project.id, {"model": "gpt-4.1-mini"})
    assert view["model"] == "gpt-4.1-mini" and view["provider"] is None
    assert view["effective"]["label"] == "gpt-4.1-mini via OpenAI"

    view = await preferences.update_project(project.id, {"provider": "anthropic", "model": None})
    # The global model belongs to OpenAI: Anthropic starts from its own default.
    assert view["effective"]["provider"] == "anthropic"
    assert view["effective"]["model"] == ANTHROPIC_DEFAULT
    assert (await preferences.for_project(project.id)).model.api_key == ANTHROPIC_KEY
    assert (await preferences.for_project(other.id)).model.model == "gpt-4.1"

    view = await preferences.update_project(project.id, {"provider": None})
    assert view["effective"]["model"] == "gpt-4.1" and view["provider"] is None


async def test_a_project_cannot_choose_a_provider_without_a_key(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        await preferences.update_project(project.id, {"provider": "anthropic"})
    assert await store.get_settings(project.id) == {}


async def test_a_project_s_attempts_decide_its_autofix(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    assert (await preferences.for_project(project.id)).autofix_attempts == 2

    view = await preferences.update_project(project.id, {"autofix_attempts": 0})
    assert view["autofix_attempts"] == 0
    assert view["effective"]["autofix"] is False and view["effective"]["autofix_attempts"] == 0

    await preferences.update_global({"autofix": False})
    await preferences.update_project(project.id, {"autofix_attempts": 3})
    chosen = await preferences.for_project(project.id)
    assert (chosen.autofix, chosen.autofix_attempts) == (True, 3)

    await preferences.update_project(project.id, {"autofix_attempts": None})
    chosen = await preferences.for_project(project.id)
    assert (chosen.autofix, chosen.autofix_attempts) == (False, 0)


async def test_locked_files_are_checked_and_normalised(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    view = await preferences.update_project(
        project.id, {"locked_files": ["./src//App.tsx", "index.html", "src/App.tsx"]}
    )
    assert view["locked_files"] == ["index.html", "src/App.tsx"]
    chosen = await preferences.for_project(project.id)
    assert chosen.locked_files == frozenset({"index.html", "src/App.tsx"})

    with pytest.raises(InvalidPath, match=r"'\.\.'"):
        await preferences.update_project(project.id, {"locked_files": ["../etc/passwd"]})
    with pytest.raises(InvalidInput, match="list of file paths"):
        await preferences.update_project(project.id, {"locked_files": "src/App.tsx"})
    assert (await preferences.project_view(project.id))["locked_files"] == [
        "index.html",
        "src/App.tsx",
    ]

    view = await preferences.update_project(project.id, {"locked_files": []})
    assert view["locked_files"] == []
    assert await store.get_settings(project.id) == {}


async def test_project_settings_are_only_the_project_s(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput, match="Unknown project setting 'autofix'") as caught:
        await preferences.update_project(project.id, {"autofix": False})
    assert "base_url" in caught.value.message and "openai_api_key" in caught.value.message
    with pytest.raises(InvalidInput, match="Unknown project setting 'temperature'"):
        await preferences.update_project(project.id, {"temperature": 0.2})
    assert await store.get_settings(project.id) == {}


# --- a project's own keys and base URL --------------------------------------------------------

PROJECT_KEY = "sk-proj-PROJECTONLYsecret0000k9Qz"
ENV_KEY = "sk-env-ENVIRONMENTsecret00001111"


def assert_no_key_in(view: Any, *keys: str) -> None:
    """Neither a key nor the middle a hint leaves out appears anywhere in ``view``."""
    text = repr(view)
    for key in keys:
        assert key not in text and key[3:-4] not in text and key[8:16] not in text


async def test_a_project_key_is_used_by_that_project_only(
    preferences: Preferences, store: Store
) -> None:
    await preferences.update_global({"provider": "openai", "openai_api_key": OPENAI_KEY})
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")

    view = await preferences.update_project(project.id, {"openai_api_key": f" {PROJECT_KEY} "})
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…k9Qz", "source": "project"}
    assert view["keys"]["anthropic"] == {"set": False, "hint": None, "source": None}
    assert_no_key_in(view, PROJECT_KEY, OPENAI_KEY)
    assert (await store.get_settings(project.id))["openai_api_key"] == PROJECT_KEY
    assert (await preferences.for_project(project.id)).model.api_key == PROJECT_KEY

    assert (await preferences.for_project(other.id)).model.api_key == OPENAI_KEY
    other_view = await preferences.project_view(other.id)
    assert other_view["keys"]["openai"] == {"set": True, "hint": "sk-…wxyz", "source": "settings"}
    assert (await preferences.global_model()).api_key == OPENAI_KEY
    global_view = await preferences.global_view()
    assert global_view["keys"]["openai"]["source"] == "settings"
    assert_no_key_in([global_view, other_view], PROJECT_KEY, OPENAI_KEY)


async def test_clearing_a_project_key_falls_back_to_the_global_one_then_the_environment_s(
    store: Store,
) -> None:
    preferences = preferences_of(store, openai_api_key=SecretStr(ENV_KEY))
    await preferences.update_global({"openai_api_key": OPENAI_KEY})
    project = await store.create_project(name="p")
    await preferences.update_project(project.id, {"openai_api_key": PROJECT_KEY})
    assert (await preferences.for_project(project.id)).model.api_key == PROJECT_KEY

    view = await preferences.update_project(project.id, {"openai_api_key": ""})
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…wxyz", "source": "settings"}
    assert (await preferences.for_project(project.id)).model.api_key == OPENAI_KEY
    assert await store.get_settings(project.id) == {}

    await preferences.update_project(project.id, {"openai_api_key": PROJECT_KEY})
    await preferences.update_global({"openai_api_key": None})
    assert (await preferences.for_project(project.id)).model.api_key == PROJECT_KEY
    view = await preferences.update_project(project.id, {"openai_api_key": None})
    assert view["keys"]["openai"] == {"set": True, "hint": "sk-…1111", "source": "env"}
    assert (await preferences.for_project(project.id)).model.api_key == ENV_KEY


async def test_removing_a_project_s_only_key_in_use_is_refused(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    await preferences.update_project(
        project.id, {"provider": "anthropic", "anthropic_api_key": ANTHROPIC_KEY}
    )
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        await preferences.update_project(project.id, {"anthropic_api_key": ""})
    chosen = await preferences.for_project(project.id)
    assert chosen.model == ModelConfig("anthropic", None, None, ANTHROPIC_KEY)
    # Clearing the provider with the key leaves the project on the global choice.
    view = await preferences.update_project(
        project.id, {"provider": None, "anthropic_api_key": None}
    )
    assert view["effective"]["provider"] == "offline"
    assert await store.get_settings(project.id) == {}


async def test_a_project_key_chooses_its_provider_when_no_layer_names_one(
    preferences: Preferences, store: Store
) -> None:
    await preferences.update_global({"openai_api_key": OPENAI_KEY})
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")
    view = await preferences.update_project(project.id, {"anthropic_api_key": ANTHROPIC_KEY})
    assert view["effective"]["provider"] == "anthropic"
    assert view["keys"]["anthropic"]["source"] == "project"
    assert view["keys"]["openai"]["source"] == "settings"
    assert (await preferences.for_project(project.id)).model.api_key == ANTHROPIC_KEY
    assert (await preferences.project_view(other.id))["effective"]["provider"] == "openai"

    # A provider named by the global settings is kept: the key waits for its provider.
    await preferences.update_global({"provider": "openai"})
    assert (await preferences.for_project(project.id)).model.api_key == OPENAI_KEY


async def test_a_project_base_url_overrides_the_global_one_and_clearing_falls_back(
    preferences: Preferences, store: Store
) -> None:
    await preferences.update_global(
        {"provider": "openai", "base_url": "http://localhost:11434/v1", "model": "llama3.2"}
    )
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")

    view = await preferences.update_project(project.id, {"base_url": " http://10.0.0.5:8000/v1 "})
    assert view["base_url"] == "http://10.0.0.5:8000/v1"
    assert view["effective"]["label"] == "llama3.2 via 10.0.0.5:8000"
    chosen = await preferences.for_project(project.id)
    assert chosen.model == ModelConfig("openai", "llama3.2", "http://10.0.0.5:8000/v1", None)
    assert (await preferences.for_project(other.id)).model.base_url == "http://localhost:11434/v1"

    view = await preferences.update_project(project.id, {"base_url": ""})
    assert view["base_url"] is None
    assert view["effective"]["label"] == "llama3.2 via localhost:11434"


async def test_a_project_that_switches_provider_drops_the_inherited_base_url(
    preferences: Preferences, store: Store
) -> None:
    await preferences.update_global(
        {"provider": "openai", "base_url": "http://localhost:11434/v1", "model": "llama3.2"}
    )
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        await preferences.update_project(project.id, {"provider": "anthropic"})

    view = await preferences.update_project(
        project.id, {"provider": "anthropic", "anthropic_api_key": ANTHROPIC_KEY}
    )
    assert view["effective"]["label"] == f"{ANTHROPIC_DEFAULT} via Anthropic"
    chosen = await preferences.for_project(project.id)
    assert chosen.model == ModelConfig("anthropic", None, None, ANTHROPIC_KEY)

    view = await preferences.update_project(project.id, {"base_url": "http://127.0.0.1:9/"})
    assert view["effective"]["label"] == f"{ANTHROPIC_DEFAULT} via 127.0.0.1:9"
    assert (await preferences.for_project(project.id)).model.base_url == "http://127.0.0.1:9/"


async def test_a_project_base_url_lets_openai_run_without_a_key(
    preferences: Preferences, store: Store
) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        await preferences.update_project(project.id, {"provider": "openai"})
    view = await preferences.update_project(
        project.id, {"provider": "openai", "base_url": "http://localhost:1234/v1"}
    )
    assert view["keys"]["openai"] == {"set": False, "hint": None, "source": None}
    chosen = await preferences.for_project(project.id)
    assert chosen.model == ModelConfig("openai", None, "http://localhost:1234/v1", None)
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        await preferences.update_project(project.id, {"base_url": None})


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"base_url": "localhost:11434"}, "http(s) address"),
        ({"base_url": 11434}, "http(s) address"),
        ({"openai_api_key": "sk two words"}, "does not look like an API key"),
        ({"anthropic_api_key": 12345678901234}, "does not look like an API key"),
        ({"openai_api_key": "x" * 501}, "does not look like an API key"),
    ],
)
async def test_bad_project_keys_and_urls_are_refused_with_a_reason(
    preferences: Preferences, store: Store, patch: dict[str, Any], message: str
) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput) as caught:
        await preferences.update_project(project.id, patch)
    assert message in caught.value.message
    assert "two words" not in caught.value.message
    assert await store.get_settings(project.id) == {}


@pytest.mark.parametrize("project_id", ["nosuchprojct", GLOBAL_SCOPE])
async def test_an_unknown_project_is_not_found(preferences: Preferences, project_id: str) -> None:
    with pytest.raises(ProjectNotFound):
        await preferences.for_project(project_id)
    with pytest.raises(ProjectNotFound):
        await preferences.project_view(project_id)
    with pytest.raises(ProjectNotFound):
        await preferences.update_project(project_id, {"model": "x"})


def test_defaults_are_the_settings_defaults() -> None:
    defaults = AgentPreferences.defaults()
    assert defaults == AgentPreferences(ModelConfig("offline"), True, 2, frozenset())


def test_a_key_hint_shows_at_most_its_last_four_characters() -> None:
    assert mask_key("sk-proj-abcdefghijklmnop1234wxyz") == "sk-…wxyz"
    assert mask_key("abcdefghijklmnop") == "…mnop"
    assert mask_key("short-key") == "…"
