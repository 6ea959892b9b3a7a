"""Reading package.json dependencies and matching installed versions to npm ranges."""

from __future__ import annotations

import json

import pytest

from tessera.sandbox.deps import declared_dependencies, parse_version, satisfies


def test_declared_dependencies() -> None:
    text = json.dumps(
        {
            "dependencies": {"react": "^19.0.0"},
            "devDependencies": {"vite": "^8.3.0"},
            "peerDependencies": {"ignored": "*"},
        }
    )
    assert declared_dependencies(text) == {"react": "^19.0.0", "vite": "^8.3.0"}
    assert declared_dependencies("not json") == {}
    assert declared_dependencies("[]") == {}
    assert declared_dependencies('{"dependencies": "nonsense"}') == {}


def test_parse_version() -> None:
    assert parse_version("19.3.1") == (19, 3, 1)
    assert parse_version("v1.2.3+build.5") == (1, 2, 3)
    assert parse_version("1.2.3-rc.1") is None
    assert parse_version("1.2") is None


@pytest.mark.parametrize(
    ("version", "spec"),
    [
        ("19.3.1", "^19.0.0"),
        ("19.3.1", "^19.3.1"),
        ("0.2.5", "^0.2.1"),
        ("0.0.3", "^0.0.3"),
        ("1.4.9", "~1.4.2"),
        ("1.9.0", "~1"),
        ("2.0.0", ">=1.0.0 <3"),
        ("2.0.0", ">= 1.0.0"),
        ("1.2.3", "1.2.3"),
        ("1.2.3", "=1.2.3"),
        ("1.2.9", "1.2.x"),
        ("1.2.9", "1.2"),
        ("1.9.9", "1"),
        ("5.0.0", "*"),
        ("5.0.0", ""),
        ("5.0.0", "latest"),
        ("3.1.0", "^2.0.0 || ^3.0.0"),
        ("1.3.0", ">1.2"),
        ("1.2.9", "<=1.2"),
        ("1.2.2", "<1.2.3"),
    ],
)
def test_satisfied(version: str, spec: str) -> None:
    assert satisfies(version, spec)


@pytest.mark.parametrize(
    ("version", "spec"),
    [
        ("18.3.1", "^19.0.0"),
        ("19.2.9", "^19.3.1"),
        ("0.3.0", "^0.2.1"),
        ("0.0.4", "^0.0.3"),
        ("1.5.0", "~1.4.2"),
        ("3.0.0", ">=1.0.0 <3"),
        ("1.2.4", "1.2.3"),
        ("1.3.0", "1.2.x"),
        ("1.2.0", ">1.2"),
        ("1.3.0", "<=1.2"),
        ("1.0.0", "file:./vendor/pkg"),
        ("1.0.0", "github:user/repo"),
        ("1.0.0", "npm:other@1"),
        ("1.0.0", "1.0.0 - 2.0.0"),
        ("19.0.0-rc.1", "^19.0.0-rc.1"),
        ("not-a-version", "*"),
    ],
)
def test_not_satisfied_or_unknown(version: str, spec: str) -> None:
    assert not satisfies(version, spec)
