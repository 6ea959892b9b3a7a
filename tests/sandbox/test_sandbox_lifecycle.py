"""The sandbox lifecycle against real Vite dev servers: idle pause, resume on a preview
request, the running limit, taking over after a restart, rebuilding, killing."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_test_support import poll, process_alive, processes_in

from tessera.errors import DevServerFailed, ProjectNotFound, SandboxNotFound
from tessera.sandbox.deployment import Deployment
from tessera.sandbox.lifecycle import SandboxLifecycle
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.summary import SandboxStatus
from tessera.sandbox.templates import TemplateCache, template_files

pytestmark = pytest.mark.slow

LifecycleFactory = Callable[..., SandboxLifecycle]


def app_files(title: str, **extra: str) -> dict[str, str]:
    files = template_files("react")
    files["src/App.tsx"] = f"export default function App() {{\n  return <h1>{title}</h1>\n}}\n"
    return files | {f"src/{name}.ts": content for name, content in extra.items()}


class FakeStore:
    """Project files as the store keeps them; ``files_of`` is what the app gives the
    lifecycle."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, str]] = {}
        self.reads: list[str] = []

    async def files_of(self, project_id: str) -> dict[str, str]:
        self.reads.append(project_id)
        if project_id not in self.files:
            raise ProjectNotFound(f"There is no project {project_id!r}.")
        return dict(self.files[project_id])


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def manager(provider: LocalSandboxProvider) -> AsyncIterator[SandboxManager]:
    instance = SandboxManager(provider, dev_server_timeout=30)
    yield instance
    await instance.aclose()


@pytest.fixture
async def make_lifecycle(
    manager: SandboxManager, store: FakeStore
) -> AsyncIterator[LifecycleFactory]:
    made: list[SandboxLifecycle] = []

    def make(target: SandboxManager | None = None, **options: Any) -> SandboxLifecycle:
        settings = {"idle_timeout": 60.0, "max_running": 8, "sweep_interval": 60.0} | options
        lifecycle = SandboxLifecycle(target or manager, files_of=store.files_of, **settings)
        made.append(lifecycle)
        return lifecycle

    yield make
    for lifecycle in reversed(made):
        await lifecycle.aclose()


async def deploy(manager: SandboxManager, store: FakeStore, pid: str, title: str) -> Deployment:
    store.files[pid] = app_files(title)
    return await manager.deploy(pid, store.files[pid])


def port_of(deployment: Deployment) -> int:
    return int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])


async def status_of(lifecycle: SandboxLifecycle, pid: str) -> SandboxStatus | None:
    for summary in await lifecycle.sandboxes():
        if summary.project_id == pid:
            return summary.status
    return None


async def statuses(lifecycle: SandboxLifecycle) -> dict[str, SandboxStatus]:
    return {s.project_id: s.status for s in await lifecycle.sandboxes()}


async def answers(url: str) -> bool:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        try:
            return (await client.get(url)).status_code == 200
        except httpx.HTTPError:
            return False


async def text_of(url: str) -> str:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    return answer.text


async def test_the_listing_follows_a_sandbox_from_starting_to_running_and_error(
    make_lifecycle: LifecycleFactory, manager: SandboxManager, store: FakeStore
) -> None:
    lifecycle = make_lifecycle()
    assert await lifecycle.sandboxes() == []
    store.files["p1"] = app_files("Listed")
    deploying = asyncio.create_task(manager.deploy("p1", store.files["p1"]))

    async def starting() -> bool:
        return await status_of(lifecycle, "p1") == "starting"

    await poll(starting, within=10)
    deployment = await deploying
    (summary,) = await lifecycle.sandboxes()
    assert (summary.status, summary.template, summary.project_id) == ("running", "react", "p1")
    assert summary.sandbox_id == deployment.sandbox_id
    assert summary.preview_url == deployment.preview_url
    assert summary.ports == (port_of(deployment),)
    assert summary.last_active.tzinfo is not None
    assert summary.to_dict()["last_active"] == summary.last_active.isoformat()

    broken = app_files("Broken") | {"vite.config.ts": "throw new Error('broken on purpose')\n"}
    with pytest.raises(DevServerFailed):
        await manager.deploy("p2", broken)
    assert await statuses(lifecycle) == {"p1": "running", "p2": "error"}


async def test_an_idle_sandbox_is_paused_and_keeps_its_files(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle(idle_timeout=0.5, sweep_interval=0.05)
    await lifecycle.start()
    deployment = await deploy(manager, store, "p1", "Idle app")
    sandbox = await provider.connect(deployment.sandbox_id)
    upstream = await manager.upstream(deployment.sandbox_id, port_of(deployment))
    assert upstream is not None and await answers(upstream)
    assert sandbox.running_processes()

    async def paused() -> bool:
        return await status_of(lifecycle, "p1") == "paused"

    await poll(paused, within=10)

    async def stopped() -> bool:  # killed processes take a moment to be reaped
        return sandbox.running_processes() == [] and processes_in(sandbox.folder) == []

    await poll(stopped, within=5)
    assert not await answers(upstream)
    assert await manager.upstream(deployment.sandbox_id, port_of(deployment)) is None
    assert "Idle app" in (sandbox.folder / "src/App.tsx").read_text()
    assert (sandbox.folder / "node_modules/react/package.json").is_file()


async def test_activity_defers_the_idle_pause(
    make_lifecycle: LifecycleFactory, manager: SandboxManager, store: FakeStore
) -> None:
    lifecycle = make_lifecycle(idle_timeout=1.0)  # no sweeper: sweeps are called here
    deployment = await deploy(manager, store, "p1", "Busy app")
    before_request, before_clock = datetime.now(UTC), time.monotonic()
    assert await lifecycle.resolve(deployment.sandbox_id, port_of(deployment)) is not None
    (summary,) = await lifecycle.sandboxes()
    assert summary.last_active >= before_request
    assert await lifecycle.sweep() == []

    async def swept() -> bool:
        return await lifecycle.sweep() == ["p1"]

    await poll(swept, within=10)
    assert time.monotonic() - before_clock >= 1.0
    assert await status_of(lifecycle, "p1") == "paused"


async def test_a_preview_request_resumes_a_paused_sandbox(
    make_lifecycle: LifecycleFactory, manager: SandboxManager, store: FakeStore
) -> None:
    lifecycle = make_lifecycle()
    deployment = await deploy(manager, store, "p1", "Before the pause")
    sandbox_id, port = deployment.sandbox_id, port_of(deployment)
    assert await lifecycle.pause("p1")
    assert not await lifecycle.pause("p1")
    assert await status_of(lifecycle, "p1") == "paused"
    store.files["p1"] = app_files("Changed in the store while paused")

    assert await lifecycle.resolve(sandbox_id, port + 1) is None  # not its preview port
    assert await lifecycle.resolve("zzzzzzzzzzzz", port) is None
    assert await status_of(lifecycle, "p1") == "paused" and store.reads == []

    upstream = await lifecycle.resolve(sandbox_id, port)
    assert upstream is not None
    assert "Changed in the store while paused" in await text_of(f"{upstream}/src/App.tsx")
    (summary,) = await lifecycle.sandboxes()
    assert summary.status == "running" and summary.sandbox_id == sandbox_id
    assert summary.preview_url == deployment.preview_url and summary.ports == (port,)
    assert store.reads == ["p1"]


async def test_concurrent_requests_resume_a_paused_sandbox_once(
    make_lifecycle: LifecycleFactory, manager: SandboxManager, store: FakeStore
) -> None:
    lifecycle = make_lifecycle()
    deployment = await deploy(manager, store, "p1", "Many requests")
    await lifecycle.pause("p1")
    answers_ = await asyncio.gather(
        *(lifecycle.resolve(deployment.sandbox_id, port_of(deployment)) for _ in range(5))
    )
    assert len(set(answers_)) == 1 and answers_[0] is not None
    assert store.reads == ["p1"]


async def test_the_least_recently_used_sandbox_is_paused_at_the_limit(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle(max_running=2)
    await lifecycle.start()
    one = await deploy(manager, store, "p1", "One")
    two = await deploy(manager, store, "p2", "Two")
    assert await lifecycle.resolve(one.sandbox_id, port_of(one)) is not None  # p2 is now LRU
    await deploy(manager, store, "p3", "Three")
    assert await statuses(lifecycle) == {"p1": "running", "p2": "paused", "p3": "running"}
    assert (await provider.connect(two.sandbox_id)).running_processes() == []

    # Resuming p2 makes room too: p1 is now the least recently used.
    assert await lifecycle.resolve(two.sandbox_id, port_of(two)) is not None
    assert await statuses(lifecycle) == {"p1": "paused", "p2": "running", "p3": "running"}


async def test_a_restarted_server_takes_over_the_project_sandbox(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
    template_cache: TemplateCache,
) -> None:
    store.files["p1"] = app_files("Kept across restarts", extra="export const extra = 1\n")
    first = await manager.deploy("p1", store.files["p1"])
    old = await provider.connect(first.sandbox_id)
    old_pids = old.running_processes()
    assert old_pids

    # A new server over the same folders; the first one's processes are still running,
    # as after a crash.
    restarted = LocalSandboxProvider(
        provider.root_dir, template_cache, preview_domain=provider.preview_domain
    )
    new_manager = SandboxManager(restarted, dev_server_timeout=30)
    try:
        lifecycle = make_lifecycle(new_manager)
        await lifecycle.start()
        assert not any(process_alive(pid) for pid in old_pids)
        (summary,) = await lifecycle.sandboxes()
        assert (summary.project_id, summary.sandbox_id) == ("p1", first.sandbox_id)
        assert summary.status == "paused"

        del store.files["p1"]["src/extra.ts"]
        again = await new_manager.deploy("p1", store.files["p1"])
        assert again.sandbox_id == first.sandbox_id and again.ready
        assert again.files == ["src/extra.ts"]  # the rest of the folder was reused as it was
        folder = (await restarted.connect(first.sandbox_id)).folder
        assert not (folder / "src/extra.ts").exists()
        upstream = await new_manager.upstream(again.sandbox_id, port_of(again))
        assert upstream is not None
        assert "Kept across restarts" in await text_of(f"{upstream}/src/App.tsx")
        assert [s.sandbox_id for s in await restarted.list()] == [first.sandbox_id]
    finally:
        await new_manager.aclose()
        await restarted.aclose()


async def test_shutdown_pauses_every_sandbox_and_stops_the_sweeper(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle(sweep_interval=0.05)
    await lifecycle.start()
    assert any(task.get_name() == "sandbox-sweeper" for task in asyncio.all_tasks())
    deployment = await deploy(manager, store, "p1", "Shut down")
    await lifecycle.aclose()
    assert not any(task.get_name() == "sandbox-sweeper" for task in asyncio.all_tasks())
    assert await status_of(lifecycle, "p1") == "paused"
    sandbox = await provider.connect(deployment.sandbox_id)
    assert processes_in(sandbox.folder) == [] and (sandbox.folder / "src/App.tsx").is_file()
    assert manager.on_starting is None


async def test_a_sandbox_whose_folder_is_gone_is_rebuilt_from_the_store(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle()
    first = await deploy(manager, store, "p1", "Original")
    old: LocalSandbox = await provider.connect(first.sandbox_id)
    await lifecycle.pause("p1")
    shutil.rmtree(old.folder)
    store.files["p1"] = app_files("Rebuilt from the store")

    rebuilt = await lifecycle.resume("p1")
    assert rebuilt is not None and rebuilt.ready
    assert rebuilt.sandbox_id != first.sandbox_id
    folder: Path = (await provider.connect(rebuilt.sandbox_id)).folder
    assert "Rebuilt from the store" in (folder / "src/App.tsx").read_text()
    assert [s.sandbox_id for s in await lifecycle.sandboxes()] == [rebuilt.sandbox_id]
    with pytest.raises(SandboxNotFound):
        await provider.connect(first.sandbox_id)
    assert await lifecycle.resume("p1") is None  # running: nothing to resume


async def test_kill_removes_the_sandbox_and_the_next_deploy_creates_a_new_one(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle()
    first = await deploy(manager, store, "p1", "Doomed")
    folder = (await provider.connect(first.sandbox_id)).folder
    await lifecycle.kill(first.sandbox_id)
    assert not folder.exists() and processes_in(folder) == []
    assert await lifecycle.sandboxes() == []
    assert await lifecycle.resolve(first.sandbox_id, port_of(first)) is None
    with pytest.raises(SandboxNotFound) as caught:
        await lifecycle.kill(first.sandbox_id)
    assert "GET /api/sandboxes" in caught.value.message
    second = await manager.deploy("p1", store.files["p1"])
    assert second.sandbox_id != first.sandbox_id and second.ready


async def test_a_paused_sandbox_of_a_deleted_project_is_removed_on_its_next_request(
    make_lifecycle: LifecycleFactory,
    manager: SandboxManager,
    provider: LocalSandboxProvider,
    store: FakeStore,
) -> None:
    lifecycle = make_lifecycle()
    deployment = await deploy(manager, store, "p1", "Deleted")
    folder = (await provider.connect(deployment.sandbox_id)).folder
    await lifecycle.pause("p1")
    del store.files["p1"]
    assert await lifecycle.resolve(deployment.sandbox_id, port_of(deployment)) is None
    assert await lifecycle.sandboxes() == [] and not folder.exists()
