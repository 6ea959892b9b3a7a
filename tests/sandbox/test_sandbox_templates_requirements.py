"""Python requirements: which lines a sandbox already satisfies, and the pip command for
the others."""

from __future__ import annotations

import pytest

from tessera.sandbox.installs import PipInstaller
from tessera.sandbox.requirements import (
    Requirement,
    canonical_name,
    parse_requirements,
    satisfied,
)
from tessera.sandbox.templates import get_template

INSTALLED = {"flask": "3.1.3", "jinja2": "3.1.6", "werkzeug": "3.1.9", "markupsafe": "3.0.4"}


def test_parse_requirements() -> None:
    text = (
        "# the web framework\n"
        "Flask>=3.0  # inline comment\n"
        "\n"
        "jinja2 (>=3.1, <4)\n"
        "requests[socks]==2.32.3\n"
        "numpy; python_version > '3.8'\n"
        "-r other.txt\n"
        "./vendor/pkg-1.0-py3-none-any.whl\n"
        "demo @ https://example.invalid/demo.whl#egg=demo\n"
        "long-name \\\n    ==1.0\n"
    )
    parsed = parse_requirements(text)
    assert [r.line for r in parsed] == [
        "Flask>=3.0",
        "jinja2 (>=3.1, <4)",
        "requests[socks]==2.32.3",
        "numpy; python_version > '3.8'",
        "-r other.txt",
        "./vendor/pkg-1.0-py3-none-any.whl",
        "demo @ https://example.invalid/demo.whl#egg=demo",
        "long-name     ==1.0",
    ]
    assert parsed[0] == Requirement("Flask>=3.0", "flask", ((">=", "3.0"),))
    assert parsed[1].specifiers == ((">=", "3.1"), ("<", "4"))
    assert parsed[7].name == "long-name" and parsed[7].specifiers == (("==", "1.0"),)
    for unknown in parsed[2:7]:
        assert unknown.name is None, unknown
    assert parsed[4].is_option and not parsed[5].is_option


def test_canonical_names() -> None:
    assert canonical_name("Flask_Cors") == "flask-cors"
    assert canonical_name("zope.interface") == "zope-interface"
    assert canonical_name("A__B--c") == "a-b-c"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("flask", True),
        ("FLASK", True),
        ("flask>=3", True),
        ("flask>=3.1.3", True),
        ("flask>3.1.3", False),
        ("flask==3.1.3", True),
        ("flask==3.1", False),
        ("flask==3.1.*", True),
        ("flask==3.2.*", False),
        ("flask!=3.1.*", False),
        ("flask!=3.0.0", True),
        ("flask~=3.1", True),
        ("flask~=3.1.4", False),
        ("flask~=3.0", True),
        ("flask~=2.0", False),
        ("flask>=2,<3", False),
        ("flask>=3,<4", True),
        ("flask<=3.1.3", True),
        ("flask===3.1.3", True),
        ("Jinja2 (>=3.1,<4)", True),
        ("markupsafe<3", False),
        ("requests", False),
        ("flask[async]", False),
        ("flask>=3.0rc1", False),
        ("flask; python_version > '3'", False),
        ("./vendor/flask-3.1.3-py3-none-any.whl", False),
    ],
)
def test_satisfied(line: str, expected: bool) -> None:
    [requirement] = parse_requirements(line)
    assert satisfied(requirement, INSTALLED) is expected


def test_a_prerelease_installed_version_is_not_trusted() -> None:
    [requirement] = parse_requirements("flask>=3")
    assert not satisfied(requirement, {"flask": "3.2.0rc1"})


def test_pip_command_for_the_python_template() -> None:
    [dependencies] = get_template("python").dependencies
    command = PipInstaller().command(
        dependencies, ["requests>=2", "./vendor/pkg-1.0-py3-none-any.whl", "-r extra.txt"]
    )
    assert command.cwd is None
    assert command.cmd == (
        ".venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check "
        "--no-input --only-binary=:all: --upgrade --target .tessera-packages "
        "'requests>=2' ./vendor/pkg-1.0-py3-none-any.whl -r extra.txt"
    )


def test_pip_command_runs_where_the_manifest_is() -> None:
    pip = get_template("fullstack").dependencies[1]
    command = PipInstaller().command(pip, ["requests"])
    assert command.cwd == "api"
    assert command.cmd.startswith("../.venv/bin/python -m pip install ")
    assert "--target ../.tessera-packages requests" in command.cmd


def test_wanted_keys_are_the_lines() -> None:
    wanted = PipInstaller().wanted("flask\n# note\nrequests>=2  # why\n")
    assert wanted == {"flask": "flask", "requests>=2": "requests>=2"}
