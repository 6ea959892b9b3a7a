from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings
from tessera.llm.base import Provider

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def make(provider: Provider | None = None, **overrides: Any) -> TestClient:
        app_settings = settings.model_copy(update=overrides) if overrides else settings
        client = TestClient(create_app(app_settings, provider=provider))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
