from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.agent.manifests import MANIFESTS, add_dependency, pip_requirement, validate_manifest
from tessera.errors import InvalidInput, ManifestInvalid
from tessera.sandbox.templates.registry import get_template

PACKAGE_JSON = """\
{
  "name": "app",
  "private": true,
  "scripts": {
    "dev": "vite",
    "build": "vite build"
  },
  "dependencies": {
    "react": "^19.0.0",
    "react-dom": "^19.0.0"
  },
  "devDependencies": {
    "vite": "^8.0.0"
  }
}
"""


def package_json(**changes: object) -> str:
    manifest = json.loads(PACKAGE_JSON)
    manifest.update(changes)
    return json.dumps(manifest, indent=2)


def problem(path: str, content: str) -> str:
    with pytest.raises(ManifestInvalid) as caught:
        validate_manifest(path, content)
    return caught.value.message


# --- validate_manifest: package.json -----------------------------------------------------


def test_the_manifests() -> None:
    assert frozenset({"package.json", "requirements.txt", "api/requirements.txt"}) == MANIFESTS
    assert issubclass(ManifestInvalid, InvalidInput)


@pytest.mark.parametrize("template", ["react", "python", "fullstack"])
def test_every_template_manifest_is_valid(template: str) -> None:
    files_dir = get_template(template).files_dir
    checked = 0
    for path in sorted(MANIFESTS):
        if (files_dir / path).is_file():
            validate_manifest(path, (files_dir / path).read_text())
            checked += 1
    assert checked >= 1


def test_a_good_package_json_passes() -> None:
    validate_manifest("package.json", PACKAGE_JSON)
    aliased = {"react": "^19", "lodash": "npm:lodash-es@^4", "x": "npm:@scope/y"}
    validate_manifest("package.json", package_json(dependencies=aliased))
    versions = {"a": "latest", "b": "*", "c": ">=1 <2", "d": "1.x", "e": "~1.2.3", "f": "next"}
    validate_manifest("package.json", package_json(dependencies=versions))


def test_package_json_syntax_errors_give_line_and_column() -> None:
    broken = PACKAGE_JSON.replace('"vite": "^8.0.0"', '"vite": "^8.0.0",')
    message = problem("package.json", broken)
    assert message.startswith("package.json is not valid JSON:")
    assert "at line 14, column 3" in message
    assert "trailing commas" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", "package.json must be a JSON object ({...}), not a list."),
        ('"text"', "package.json must be a JSON object ({...}), not a string."),
        ("null", "package.json must be a JSON object ({...}), not null."),
    ],
)
def test_package_json_must_be_an_object(content: str, expected: str) -> None:
    assert problem("package.json", content) == expected


def test_dependency_sections_must_map_names_to_versions() -> None:
    message = problem("package.json", package_json(dependencies=["react"]))
    assert message.startswith('package.json: "dependencies" must be an object')
    message = problem("package.json", package_json(devDependencies={"vite": 8}))
    assert message == (
        "package.json: in \"devDependencies\", the version of 'vite' must be a string, "
        'such as "^1.2.0".'
    )
    message = problem("package.json", package_json(dependencies={"-rf": "1"}))
    assert message == "package.json: in \"dependencies\", '-rf' is not a valid npm package name."
    message = problem("package.json", package_json(peerDependencies={"x": "-g"}))
    assert "the version '-g' of 'x' is not a version" in message


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("file:../lib", "a local folder"),
        ("link:./x", "a local folder"),
        ("workspace:*", "a local folder"),
        ("git+https://github.com/a/b.git", "a git repository"),
        ("git://github.com/a/b", "a git repository"),
        ("github:a/b", "a git repository"),
        ("https://example.com/x.tgz", "a URL"),
        ("./vendor/x", "a local path"),
        ("~/x", "a local path"),
        ("/opt/x", "a local path"),
        ("..", "a local path"),
        ("user/repo", "a GitHub repository"),
        ("user/repo#main", "a GitHub repository"),
    ],
)
def test_dependencies_come_from_the_registry_only(spec: str, kind: str) -> None:
    message = problem("package.json", package_json(dependencies={"x": spec}))
    assert f"'x' points to {kind} ({spec!r})" in message
    assert "npm registry only" in message


def test_scripts_must_be_strings_and_include_dev() -> None:
    message = problem("package.json", package_json(scripts={"dev": ["vite"]}))
    assert message.startswith('package.json: "scripts" must be an object of commands')
    message = problem("package.json", package_json(scripts={"build": "vite build"}))
    assert message.startswith('package.json has no "dev" script')
    no_scripts = json.loads(PACKAGE_JSON)
    del no_scripts["scripts"]
    assert problem("package.json", json.dumps(no_scripts)).startswith(
        'package.json has no "dev" script'
    )


def test_other_paths_are_not_checked() -> None:
    validate_manifest("web/package.json", "not json")
    validate_manifest("src/requirements.txt", "-e .")
    validate_manifest("notes.md", "")


# --- validate_manifest: requirements.txt -------------------------------------------------


def test_good_requirements_pass() -> None:
    validate_manifest(
        "requirements.txt",
        "# web\nflask==3.1\n\nrequests >= 2.31, <3  # http\n"
        "Flask-Cors~=5.0\nuvicorn[standard]\n"
        "tomli; python_version < '3.11'\nnumpy==2.* \\\n  ; sys_platform == 'linux'\n",
    )
    validate_manifest("api/requirements.txt", "")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("flask\n-e .\n", "requirements.txt line 2: options such as -e are not allowed"),
        ("-r other.txt\n", "requirements.txt line 1: options such as -r are not allowed"),
        (
            "flask\n\n--index-url https://x/simple\n",
            "requirements.txt line 3: options such as --index-url are not allowed",
        ),
        (
            "flask\ngit+https://github.com/a/b.git\n",
            "requirements.txt line 2: 'git+https://github.com/a/b.git' installs from a URL or a "
            "repository",
        ),
        (
            "b @ https://example.com/b-1.0.whl\n",
            "requirements.txt line 1: 'b @ https://example.com/b-1.0.whl' installs from a URL",
        ),
        ("./local/pkg\n", "requirements.txt line 1: './local/pkg' is a local file or folder"),
        ("pkg-1.0.tar.gz\n", "requirements.txt line 1: 'pkg-1.0.tar.gz' is a local file"),
        (
            "# c\nflask\nflask ^3\n",
            "requirements.txt line 3: 'flask ^3' is not a valid requirement",
        ),
        ("flask==3 \\\n  and more\n", "requirements.txt line 1: 'flask==3   and more' is not"),
    ],
)
def test_requirement_errors_name_the_line(content: str, expected: str) -> None:
    assert problem("requirements.txt", content).startswith(expected)


def test_requirement_errors_give_a_hint_and_the_file() -> None:
    message = problem("api/requirements.txt", "flask\nflask ^3\n")
    assert message.startswith("api/requirements.txt line 2:")
    assert "pip has no ^ ranges: use ~=3.1 or >=3,<4" in message
    assert message.endswith("write it as name, name==1.2 or name>=1.2,<2.")


# --- add_dependency: npm -----------------------------------------------------------------


def add(
    files: dict[str, str], name: str, version: str | None = None, **options: str
) -> tuple[str, str]:
    manager = options.get("manager")
    template = options.get("template", "react")
    return add_dependency(files, name=name, version=version, manager=manager, template=template)


def test_a_new_npm_dependency_is_inserted_in_sorted_place() -> None:
    path, content = add({"package.json": PACKAGE_JSON}, "react-router", "^7")
    assert path == "package.json"
    assert content == PACKAGE_JSON.replace(
        '"react-dom": "^19.0.0"\n', '"react-dom": "^19.0.0",\n    "react-router": "^7"\n'
    )
    _, content = add({"package.json": PACKAGE_JSON}, "@tanstack/query", "5.0.0")
    assert list(json.loads(content)["dependencies"]) == ["@tanstack/query", "react", "react-dom"]
    validate_manifest("package.json", content)


def test_no_version_means_latest_and_an_existing_entry_is_updated_in_place() -> None:
    _, content = add({"package.json": PACKAGE_JSON}, "zustand")
    assert json.loads(content)["dependencies"]["zustand"] == "latest"
    _, content = add({"package.json": PACKAGE_JSON}, "react", "^18.3.0")
    assert content == PACKAGE_JSON.replace('"react": "^19.0.0"', '"react": "^18.3.0"')
    _, content = add({"package.json": PACKAGE_JSON}, "vite", "^9")
    manifest = json.loads(content)
    assert manifest["devDependencies"] == {"vite": "^9"}
    assert "vite" not in manifest["dependencies"]


def test_key_order_indentation_and_unsorted_sections_are_kept() -> None:
    four = json.dumps(
        {"scripts": {"dev": "vite"}, "name": "é", "dependencies": {"zod": "1", "axios": "1"}},
        indent=4,
        ensure_ascii=False,
    )
    _, content = add({"package.json": four}, "lodash", "^4")
    assert content.startswith(
        '{\n    "scripts": {\n        "dev": "vite"\n    },\n    "name": "é",'
    )
    assert list(json.loads(content)["dependencies"]) == ["lodash", "zod", "axios"]
    tabs = '{\n\t"name": "x",\n\t"scripts": {"dev": "vite"}\n}'
    _, content = add({"package.json": tabs}, "lodash")
    assert content == (
        '{\n\t"name": "x",\n\t"scripts": {\n\t\t"dev": "vite"\n\t},\n'
        '\t"dependencies": {\n\t\t"lodash": "latest"\n\t}\n}\n'
    )


def test_npm_dependencies_are_checked() -> None:
    files = {"package.json": PACKAGE_JSON}
    with pytest.raises(ManifestInvalid, match="is not a valid package name"):
        add(files, "Bad Name")
    with pytest.raises(ManifestInvalid, match="is not a version"):
        add(files, "x", "--global")
    with pytest.raises(ManifestInvalid, match="points to a git repository"):
        add(files, "x", "github:a/b")
    with pytest.raises(ManifestInvalid, match="not a valid npm package name"):
        add(files, "flask[async]")
    with pytest.raises(
        ManifestInvalid, match=re.escape("Cannot add x: package.json is not valid JSON")
    ):
        add({"package.json": "{"}, "x")
    with pytest.raises(
        ManifestInvalid, match=re.escape('"dependencies" in package.json is not an object')
    ):
        add({"package.json": '{"dependencies": []}'}, "x")


def test_npm_in_a_python_project_says_there_is_no_package_json() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        add({"app.py": ""}, "zustand", manager="npm", template="python")
    assert caught.value.message == (
        "Cannot add the npm package zustand: this project has no package.json (it is a "
        "Python app: add Python packages to requirements.txt with pip)."
    )


def test_the_manager_is_read_without_case_or_spaces() -> None:
    assert add({"app.py": ""}, "flask", manager=" PIP ", template="python")[0] == "requirements.txt"


def test_an_unknown_package_manager_is_refused() -> None:
    with pytest.raises(
        ManifestInvalid, match="unknown package manager 'cargo' \\(use npm or pip\\)"
    ):
        add({"package.json": PACKAGE_JSON}, "serde", manager="cargo")


# --- add_dependency: pip -----------------------------------------------------------------


def test_pip_is_the_default_for_python_and_creates_requirements() -> None:
    assert add({"app.py": ""}, "requests", "2.31", template="python") == (
        "requirements.txt",
        "requests==2.31\n",
    )


def test_pip_in_a_full_stack_project_goes_to_the_api() -> None:
    files = {"package.json": PACKAGE_JSON, "api/requirements.txt": "flask\n"}
    assert add(files, "flask-cors", ">=5", manager="pip", template="fullstack") == (
        "api/requirements.txt",
        "flask\nflask-cors>=5\n",
    )
    # npm stays the default in a full-stack project
    assert add(files, "zod", template="fullstack")[0] == "package.json"


def test_pip_for_a_react_project_with_a_new_api_uses_the_api_manifest() -> None:
    files = {"package.json": PACKAGE_JSON, "api/app.py": "from flask import Flask\n"}
    assert add(files, "flask", manager="pip") == ("api/requirements.txt", "flask\n")
    with pytest.raises(ManifestInvalid, match="React project without a Python part"):
        add({"package.json": PACKAGE_JSON}, "flask", manager="pip")


def test_an_existing_requirement_line_is_replaced() -> None:
    _, new = add(
        {"requirements.txt": "# deps\nflask\nFlask_Cors==4.0  # old\n"},
        "flask-cors",
        "~=5.0",
        template="python",
    )
    assert new == "# deps\nflask\nflask-cors~=5.0\n"
    _, new = add(
        {"requirements.txt": "a\r\nflask==2\r\nb\r\nflask>=1\r\n"},
        "Flask",
        "3.1",
        template="python",
    )
    assert new == "a\r\nFlask==3.1\r\nb\r\n"
    _, new = add({"requirements.txt": "flask"}, "gunicorn", template="python")
    assert new == "flask\ngunicorn\n"


@pytest.mark.parametrize(
    ("version", "line"),
    [
        (None, "flask"),
        ("latest", "flask"),
        ("3.1", "flask==3.1"),
        ("3.1.*", "flask==3.1.*"),
        (">=3", "flask>=3"),
        (">= 3, < 4", "flask>=3,<4"),
        ("~=3.1", "flask~=3.1"),
        ("==3.0.2", "flask==3.0.2"),
    ],
)
def test_pip_versions_become_requirement_lines(version: str | None, line: str) -> None:
    assert pip_requirement("flask", version) == line


@pytest.mark.parametrize("version", ["^3", "beta", "3.1 || 4", ">=3;rm"])
def test_versions_pip_does_not_understand_are_refused(version: str) -> None:
    with pytest.raises(ManifestInvalid, match=re.escape("flask")):
        add({"requirements.txt": ""}, "flask", version, template="python")


_NPM_NAME = st.from_regex(r"(@[a-z][a-z0-9-]{0,8}/)?[a-z][a-z0-9._-]{0,15}", fullmatch=True)
_NPM_SPEC = st.sampled_from(["^1.2.3", "~0.1.0", "latest", "*", ">=2 <3", "1.x", "next"])


@given(names=st.lists(st.tuples(_NPM_NAME, _NPM_SPEC), min_size=1, max_size=8))
def test_adding_npm_dependencies_keeps_a_valid_sorted_manifest(
    names: list[tuple[str, str]],
) -> None:
    content = PACKAGE_JSON
    for name, spec in names:
        path, content = add({"package.json": content}, name, spec)
        validate_manifest(path, content)
    manifest = json.loads(content)
    dependencies = manifest["dependencies"]
    assert list(dependencies) == sorted(dependencies)
    expected = dict(json.loads(PACKAGE_JSON)["dependencies"])
    dev = dict(json.loads(PACKAGE_JSON)["devDependencies"])
    for name, spec in names:
        (dev if name in dev else expected)[name] = spec
    assert dependencies == expected
    assert manifest["devDependencies"] == dev
    assert list(manifest) == list(json.loads(PACKAGE_JSON))
