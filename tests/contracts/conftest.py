"""Providers under the sandbox contract. A provider joins by adding a ``kit`` param."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_contract_kit import ProviderKit

from tessera.sandbox.base import Sandbox, SandboxProvider
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.templates import TemplateCache
from tests.sandbox.sandbox_test_support import process_alive as host_process_alive
from tests.sandbox.sandbox_test_support import processes_in
from tests.security.security_support import (
    alive_under,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

PREVIEW_DOMAIN = "localhost:8000"

E2B_LINKS_LEAD_ANYWHERE = (
    "an E2B sandbox is a whole virtual machine: a link in the project may lead anywhere in "
    "it, and nothing of this machine is reachable"
)
ENVD_LINKS_STAY_INSIDE = (
    "through E2B's protocol a path is the sandbox's own: a link leads anywhere in the "
    "sandbox's view (its generated /etc, its /tmp), and nothing of this machine is there"
)
E2B_PIDS_ARE_REMOTE = "process ids are those of E2B's virtual machine, not visible from here"
_REMOTE_PROCESS_TESTS = (
    "test_timeout_ends_the_whole_command",
    "test_timeout_also_ends_children_that_ignore_sigterm",
    "test_background_failure_and_kill",
    "test_kill_leaves_no_processes",
    "test_aclose_ends_processes_and_keeps_sandboxes",
    "test_set_timeout_kills_the_sandbox",
)


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path) -> Iterator[None]:
    yield
    assert processes_in(tmp_path) == [], "a process started by the test outlived it"


@pytest.fixture(
    params=[
        "local",
        "local-unisolated",
        "e2b-fake",
        "e2b-sdk-local",
        pytest.param(
            "e2b",
            marks=pytest.mark.skipif(
                not os.environ.get("E2B_API_KEY"),
                reason="needs E2B_API_KEY: the E2B cloud is not reachable from CI",
            ),
        ),
    ]
)
async def kit(
    request: pytest.FixtureRequest, tmp_path: Path, template_cache: TemplateCache
) -> AsyncIterator[ProviderKit]:
    if request.param == "local":
        # Isolated (bubblewrap), as Tessera runs it; its processes are found by the control
        # groups of the test's own parent (their pids printed inside are the sandbox's).
        parent = unique_cgroup_parent()
        isolation = Isolation(cgroup_parent=parent)
        root = tmp_path / "sandboxes"
        yield ProviderKit(
            name="local",
            make=lambda: LocalSandboxProvider(
                root, template_cache, preview_domain=PREVIEW_DOMAIN, isolation=isolation
            ),
            alive=alive_under(parent),
        )
        assert processes_under(parent) == [], "a sandbox process outlived the test"
        assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"
    elif request.param == "local-unisolated":
        root = tmp_path / "sandboxes"
        yield ProviderKit(
            name="local-unisolated",
            make=lambda: LocalSandboxProvider(root, template_cache, preview_domain=PREVIEW_DOMAIN),
            alive=host_process_alive,
        )
    elif request.param == "e2b-fake":
        from tessera.sandbox.e2b import E2BSandboxProvider
        from tessera.sandbox.e2b.fake import FakeE2BSdk

        cloud = FakeE2BSdk(tmp_path / "e2b")
        yield ProviderKit(
            name="e2b-fake",
            make=lambda: E2BSandboxProvider("fake-key", sdk=cloud),
            alive=host_process_alive,
            skips={"test_symlinks_pointing_outside_are_not_followed": E2B_LINKS_LEAD_ANYWHERE},
        )
        await cloud.aclose()
    elif request.param == "e2b-sdk-local":
        # Tessera's E2B code path over E2B's own SDK, against local isolated sandboxes that
        # serve E2B's protocol (tessera.envd): the SDK and the daemon under the contract.
        from tessera.sandbox.e2b import E2BSandboxProvider
        from tessera.sandbox.e2b.local_sdk import LocalEnvdSdk

        parent = unique_cgroup_parent()
        local = LocalSandboxProvider(
            tmp_path / "sandboxes",
            template_cache,
            preview_domain=PREVIEW_DOMAIN,
            isolation=Isolation(cgroup_parent=parent),
        )
        envd_sdk = LocalEnvdSdk(local)
        yield ProviderKit(
            name="e2b-sdk-local",
            make=lambda: E2BSandboxProvider("local", sdk=envd_sdk),
            alive=alive_under(parent),
            skips={"test_symlinks_pointing_outside_are_not_followed": ENVD_LINKS_STAY_INSIDE},
        )
        await envd_sdk.aclose()
        await local.aclose()
        assert processes_under(parent) == [], "a sandbox process outlived the test"
        assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"
    elif request.param == "e2b":
        from tessera.sandbox.e2b import E2BSandboxProvider

        key, domain = os.environ["E2B_API_KEY"], os.environ.get("E2B_DOMAIN")

        def remote_alive(pid: int) -> bool:
            raise AssertionError("process ids of E2B sandboxes cannot be checked from here")

        yield ProviderKit(
            name="e2b",
            make=lambda: E2BSandboxProvider(key, domain=domain),
            alive=remote_alive,
            skips={
                "test_symlinks_pointing_outside_are_not_followed": E2B_LINKS_LEAD_ANYWHERE,
                **dict.fromkeys(_REMOTE_PROCESS_TESTS, E2B_PIDS_ARE_REMOTE),
            },
        )
    else:
        raise AssertionError(f"no kit for provider {request.param}")


@pytest.fixture(autouse=True)
def skip_what_does_not_apply(request: pytest.FixtureRequest, kit: ProviderKit) -> None:
    reason = kit.skips.get(request.node.originalname)
    if reason:
        pytest.skip(f"{kit.name}: {reason}")


@pytest.fixture
async def provider(kit: ProviderKit) -> AsyncIterator[SandboxProvider]:
    instance = kit.make()
    yield instance
    await instance.aclose()


@pytest.fixture
async def sandbox(provider: SandboxProvider) -> AsyncIterator[Sandbox]:
    created = await provider.create("react", metadata={"suite": "contract"})
    yield created
    await created.kill()
