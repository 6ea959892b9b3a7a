"""envd's protocol stubs speak exactly the pinned SDK's protocol.

The daemon's stubs are generated from our own copy of E2B's `.proto` definitions, so these
tests pin that copy to the descriptors compiled into the `e2b` package the project depends
on: same files byte for byte (less comments), stubs regenerated from the current sources,
and messages that cross between our classes and the SDK's unchanged, in both of the
encodings Connect uses (binary for gRPC-style, JSON for the SDK's Connect calls).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from e2b.envd.filesystem import filesystem_pb as sdk_filesystem_pb
from e2b.envd.process import process_pb as sdk_process_pb
from protobuf import Oneof
from protobuf.wkt.google.protobuf.descriptor_pb import FileDescriptorProto, FileDescriptorSet
from protobuf.wkt.google.protobuf.timestamp_pb import Timestamp

from tessera.envd.proto.filesystem import filesystem_pb
from tessera.envd.proto.process import process_pb

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "src" / "tessera" / "envd" / "proto"
SCRIPT = ROOT / "scripts" / "generate_envd_stubs.py"

FILES = {
    "process/process.proto": (process_pb, sdk_process_pb),
    "filesystem/filesystem.proto": (filesystem_pb, sdk_filesystem_pb),
}
"""Each protocol file -> (our generated module, the SDK's generated module)."""

needs_grpc_tools = pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None,
    reason="grpcio-tools (the dev extra) is not installed: cannot run protoc",
)


def without_comments(descriptor: FileDescriptorProto) -> FileDescriptorProto:
    """A copy without source_code_info: comments and spans, which never reach the wire."""
    copy = FileDescriptorProto.from_binary(descriptor.to_binary())
    copy.clear_field("source_code_info")
    return copy


def assert_same_descriptor(ours: FileDescriptorProto, sdk: FileDescriptorProto) -> None:
    ours, sdk = without_comments(ours), without_comments(sdk)
    if ours.to_binary() != sdk.to_binary():
        diff = difflib.unified_diff(
            json.dumps(json.loads(sdk.to_json()), indent=1).splitlines(),
            json.dumps(json.loads(ours.to_json()), indent=1).splitlines(),
            "e2b",
            "tessera",
            lineterm="",
        )
        pytest.fail(f"{ours.name} differs from the SDK's:\n" + "\n".join(diff))


@pytest.mark.parametrize("name", FILES)
def test_stub_descriptors_equal_the_sdk_descriptors(name: str) -> None:
    ours, sdk = FILES[name]
    assert ours.desc().proto.name == sdk.desc().proto.name == name
    assert_same_descriptor(ours.desc().proto, sdk.desc().proto)


@needs_grpc_tools
def test_proto_sources_compile_to_the_sdk_descriptors(tmp_path: Path) -> None:
    out = tmp_path / "set.binpb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--descriptor_set_out={out}",
            *FILES,
        ],
        cwd=PROTO_ROOT,
        check=True,
    )
    compiled = FileDescriptorSet.from_binary(out.read_bytes()).file
    assert [file.name for file in compiled] == list(FILES)
    for file in compiled:
        assert_same_descriptor(file, FILES[file.name][1].desc().proto)


@needs_grpc_tools
def test_generated_stubs_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def public_api(module: ModuleType) -> dict[str, list[str]]:
    """Each public class of a connect module with its methods' signatures."""
    api: dict[str, list[str]] = {}
    for name, value in vars(module).items():
        if inspect.isclass(value) and value.__module__ == module.__name__:
            api[name] = [
                f"{method}{inspect.signature(function)}"
                for method, function in vars(value).items()
                if callable(function) and (not method.startswith("_") or method == "__init__")
            ]
    return api


@pytest.mark.parametrize("service", ["process", "filesystem"])
def test_service_api_matches_the_sdk_stubs(service: str) -> None:
    """Same generator versions: the Protocol, ASGI app and clients have the SDK's shape."""
    ours = importlib.import_module(f"tessera.envd.proto.{service}.{service}_connect")
    sdk = importlib.import_module(f"e2b.envd.{service}.{service}_connect")
    api = public_api(ours)
    assert api == public_api(sdk)
    title = service.title()
    assert {title, f"{title}ASGIApplication", f"{title}Client"} <= api.keys()


def start_request(pb: ModuleType) -> Any:
    """The richest StartRequest: every field set, a map, optionals and a PTY."""
    return pb.StartRequest(
        process=pb.ProcessConfig(
            cmd="/bin/bash",
            args=["-l", "-c", "echo hi"],
            envs={"A": "1", "LANG": "C.UTF-8"},
            cwd="/home/user",
        ),
        pty=pb.PTY(size=pb.PTY.Size(cols=80, rows=24)),
        tag="dev-server",
        stdin=True,
    )


def end_event(pb: ModuleType) -> Any:
    return pb.StartResponse(
        event=pb.ProcessEvent(
            event=Oneof(
                "end",
                pb.ProcessEvent.EndEvent(
                    exit_code=-1, exited=False, status="signal: killed", error="killed"
                ),
            )
        )
    )


def stream_input(pb: ModuleType) -> Any:
    return pb.StreamInputRequest(
        event=Oneof(
            "data",
            pb.StreamInputRequest.DataEvent(input=pb.ProcessInput(input=Oneof("pty", b"\x03"))),
        )
    )


def watch_event(pb: ModuleType) -> Any:
    return pb.WatchDirResponse(
        event=Oneof(
            "filesystem",
            pb.FilesystemEvent(
                name="src/app.py",
                type=pb.EventType.WRITE,
                entry=pb.EntryInfo(
                    name="app.py",
                    type=pb.FileType.FILE,
                    path="/home/user/src/app.py",
                    size=1 << 40,
                    mode=0o100644,
                    permissions="-rw-r--r--",
                    owner="user",
                    group="user",
                    modified_time=Timestamp(seconds=1_700_000_000, nanos=5),
                    symlink_target="",
                    metadata={"origin": "upload"},
                    is_symlink=True,
                ),
            ),
        )
    )


MESSAGES = {
    "start_request": (start_request, process_pb, sdk_process_pb),
    "end_event": (end_event, process_pb, sdk_process_pb),
    "stream_input": (stream_input, process_pb, sdk_process_pb),
    "watch_event": (watch_event, filesystem_pb, sdk_filesystem_pb),
}


@pytest.mark.parametrize("name", MESSAGES)
def test_messages_cross_between_our_stubs_and_the_sdks(name: str) -> None:
    build, ours_pb, sdk_pb = MESSAGES[name]
    ours, sdk = build(ours_pb), build(sdk_pb)
    assert type(ours) is not type(sdk)
    sdk_type, ours_type = type(sdk), type(ours)

    # What our server sends, the SDK reads; what the SDK sends, our server reads.
    assert sdk_type.from_binary(ours.to_binary()) == sdk
    assert ours_type.from_binary(sdk.to_binary()) == ours
    assert sdk_type.from_json(ours.to_json()) == sdk
    assert ours_type.from_json(sdk.to_json()) == ours
    # Byte-identical encodings: nothing was dropped into unknown fields on the way.
    assert ours.to_binary() == sdk.to_binary()
    assert ours.to_json() == sdk.to_json()


def test_unset_optionals_stay_unset_across() -> None:
    """proto3 `optional` fields keep presence: an unset cwd is not an empty cwd."""
    ours = process_pb.StartRequest(process=process_pb.ProcessConfig(cmd="ls"))
    parsed = sdk_process_pb.StartRequest.from_binary(ours.to_binary())
    assert not parsed.has_field("pty")
    assert not parsed.has_field("tag")
    assert not parsed.has_field("stdin")
    assert parsed.process is not None
    assert not parsed.process.has_field("cwd")

    empty = process_pb.ProcessConfig(cmd="ls", cwd="")
    assert sdk_process_pb.ProcessConfig.from_json(empty.to_json()).has_field("cwd")
