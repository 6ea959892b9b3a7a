"""Generates envd's Python stubs from the pinned protocol definitions.

.venv/bin/python scripts/generate_envd_stubs.py           # (re)write the stubs
.venv/bin/python scripts/generate_envd_stubs.py --check   # exit 1 if they are stale

The `.proto` files under src/tessera/envd/proto/ are E2B's envd protocol as compiled into
the pinned `e2b` package; everything else in that folder is generated from them here, with
the same generators (protoc-gen-py, protoc-gen-connectrpc) and versions the SDK itself was
generated with, so our server-side stubs are the SDK's API exactly. The generators are
protoc plugins: grpcio-tools' bundled protoc parses the `.proto` files and runs them.
Generation happens in a scratch folder first, so `--check` compares without touching the
tree and a failed run never leaves half-written stubs behind.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "src" / "tessera" / "envd" / "proto"
PLUGINS = {"py": "protoc-gen-py", "connectrpc": "protoc-gen-connectrpc"}
"""protoc output name -> plugin executable (installed by the dev extra)."""

DIFF_LINES = 40
"""How much of each stale file's diff `--check` prints: enough to see what moved."""


LINE_WIDTH = 160


class GenerationError(Exception):
    """The toolchain is missing or protoc rejected the definitions."""


def proto_files() -> list[str]:
    """The definitions to compile, relative to PROTO_ROOT (protoc's import root)."""
    return sorted(path.relative_to(PROTO_ROOT).as_posix() for path in PROTO_ROOT.rglob("*.proto"))


def find_plugin(name: str) -> Path:
    """The plugin beside this interpreter (the venv's bin), else the first on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found is None:
        raise GenerationError(f"{name} is not installed: pip install -e '.[dev]'")
    return Path(found)


def generate(out: Path) -> None:
    """Run protoc with both plugins, writing the stubs (and `__init__.py` files) into out.

    `python -m grpc_tools.protoc` adds grpcio-tools' own copy of the well-known types
    (google/protobuf/timestamp.proto) to the import path.
    """
    if importlib.util.find_spec("grpc_tools") is None:
        raise GenerationError("grpcio-tools is not installed: pip install -e '.[dev]'")
    command = [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={PROTO_ROOT}"]
    for output, plugin in PLUGINS.items():
        command += [f"--plugin={plugin}={find_plugin(plugin)}", f"--{output}_out={out}"]
    command += proto_files()
    result = subprocess.run(command, cwd=PROTO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GenerationError(f"protoc failed ({result.returncode}):\n{result.stderr}")


def generated_files(folder: Path) -> dict[str, str]:
    """Every generated file under folder, by relative path: all Python, never the sources."""
    return {
        path.relative_to(folder).as_posix(): path.read_text()
        for path in sorted(folder.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def shorten(line: str) -> str:
    """One diff line, cut short: the embedded descriptor is a single line of kilobytes."""
    return line if len(line) <= LINE_WIDTH else line[: LINE_WIDTH - 3] + "..."


def stale_report(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """Lines describing how the tree's stubs differ from freshly generated ones."""
    lines: list[str] = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            lines.append(f"missing: {name}")
        elif name not in expected:
            lines.append(f"not generated (remove it): {name}")
        elif expected[name] != actual[name]:
            diff = list(
                difflib.unified_diff(
                    actual[name].splitlines(),
                    expected[name].splitlines(),
                    f"{name} (tree)",
                    f"{name} (generated)",
                    lineterm="",
                )
            )
            lines.append(f"differs: {name} ({len(diff)} diff lines)")
            lines += ["    " + shorten(line) for line in diff[:DIFF_LINES]]
            if len(diff) > DIFF_LINES:
                lines.append("    ...")
    return lines


def write(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """Bring the tree in line with the generated files; returns what changed."""
    changed: list[str] = []
    for name, text in expected.items():
        if actual.get(name) != text:
            target = PROTO_ROOT / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            changed.append(f"wrote {name}")
    for name in sorted(actual.keys() - expected.keys()):
        (PROTO_ROOT / name).unlink()
        changed.append(f"removed {name}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate envd's stubs from its .proto files.")
    parser.add_argument(
        "--check", action="store_true", help="compare with the tree instead of writing"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="envd-stubs-") as scratch:
        try:
            generate(Path(scratch))
        except GenerationError as error:
            print(error, file=sys.stderr)
            return 2
        expected = generated_files(Path(scratch))
    actual = generated_files(PROTO_ROOT)
    if args.check:
        report = stale_report(expected, actual)
        if report:
            print("envd stubs are stale; run `make proto`:", *report, sep="\n", file=sys.stderr)
            return 1
        print(f"envd stubs are up to date ({len(expected)} files)")
        return 0
    for line in write(expected, actual) or ["envd stubs already up to date"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
