"""Which of the project's files a model sees, within a token budget.

A project soon outgrows what is worth sending on every turn, so the files are ranked by
how likely the request needs them, and as many as fit are shown whole:

1. files the request names (by path, file name, or a name such as "the Header component");
2. the file open in the editor;
3. the files those two import (JavaScript/TypeScript, CSS, HTML, Python and Flask
   templates);
4. recently changed files, most recent first;
5. entry points and manifests (``package.json``, ``src/main.tsx``, ``app.py``...);
6. everything else, smallest first (more files for the same budget).

A file is shown whole or not at all: a partial file would invite SEARCH/REPLACE edits
against lines the model never saw. Files that do not fit are listed in a summary with
their size and an outline (exported names, functions, components, classes, routes, CSS
selectors), which shrinks to bare paths when the budget is tight. Locked files are named
so the model leaves them alone. The same input always gives the same text.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from tessera.protocol.format import render_file

MIN_BUDGET_TOKENS = 256
"""The smallest budget the selection works with: its fixed sentences must fit."""

EMPTY_PROJECT = "The project is empty: write a complete new app."
FILES_HEADING = "The project's current files:"
SUMMARY_HEADING = (
    "Summary of the other files (their content is not shown for lack of space; do not "
    "edit them with SEARCH/REPLACE, whose SEARCH text must match the file exactly):"
)
LOCKED_HEADING = "Locked files (the user locked them: do not write, edit, rename or delete them):"

ENTRY_POINTS = (
    "package.json",
    "src/main.tsx",
    "src/App.tsx",
    "index.html",
    "app.py",
    "requirements.txt",
    "api/app.py",
    "api/requirements.txt",
)
"""Files that tell the model what kind of app this is and how it starts, in that order."""

MAX_OUTLINE_NAMES = 12
"""Names shown per kind in a summarised file's outline; the rest are counted."""


# --- token estimate ----------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """A cheap upper estimate of the tokens ``text`` costs a model: UTF-8 bytes / 3.5.

    No tokenizer: the model behind a provider is not known here (OpenAI-compatible
    endpoints, Anthropic, local models all tokenize differently), a tokenizer would be a
    heavy dependency with its own downloaded vocabulary, and a budget only needs an
    estimate that errs on the safe side. English prose runs at about 4 characters per
    token; code, with its punctuation and indentation, nearer 3.5, hence the divisor.
    Counting bytes makes non-Latin text (a CJK character is 3 bytes, about one token)
    pessimistic too. The estimate is additive (the estimate of a joined text is at most
    the sum of its parts'), which lets a budget be filled piece by piece.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    return (2 * size + 6) // 7


def _line_cost(text: str) -> int:
    """Tokens of one part of the text, with the line break that joins it to the next."""
    return estimate_tokens(text) + 1


# --- the selection -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContextSelection:
    """The rendered files and what became of each.

    ``included``: files shown whole, in the order shown. ``summarised``: every other file
    (in priority order), whether the summary names it or only counts it. ``tokens``:
    ``estimate_tokens(text)``, never more than the budget.
    """

    text: str
    included: list[str]
    summarised: list[str]
    tokens: int


def select_context(
    files: Mapping[str, str],
    *,
    prompt: str,
    budget_tokens: int,
    active_file: str | None = None,
    recent: Sequence[str] = (),
    locked: Collection[str] = (),
) -> ContextSelection:
    """The project's files for a model, as many whole as ``budget_tokens`` allows.

    ``prompt`` is the user's request, ``active_file`` the file open in the editor,
    ``recent`` the recently changed files (most recent first), ``locked`` the files the
    model must not change. Raises ``ValueError`` for a budget under ``MIN_BUDGET_TOKENS``
    (a configuration mistake, not something a user can cause).
    """
    if budget_tokens < MIN_BUDGET_TOKENS:
        raise ValueError(f"budget_tokens must be at least {MIN_BUDGET_TOKENS}")
    if not files:
        return ContextSelection(EMPTY_PROJECT, [], [], estimate_tokens(EMPTY_PROJECT))
    order = rank_files(files, prompt=prompt, active_file=active_file, recent=recent)
    locked_line = _locked_line(
        sorted(path for path in locked if path in files),
        budget_tokens // 4,
    )
    available = budget_tokens - _line_cost(FILES_HEADING)
    if locked_line:
        available -= _line_cost(locked_line)
    included, summarised, blocks = _choose_whole(files, order, available)
    parts = [FILES_HEADING, *blocks]
    if summarised:
        room = available - sum(_line_cost(block) for block in blocks)
        parts.extend(_summary(files, summarised, room))
    if locked_line:
        parts.append(locked_line)
    text = "\n".join(parts)
    return ContextSelection(text, included, summarised, estimate_tokens(text))


def _choose_whole(
    files: Mapping[str, str], order: list[str], available: int
) -> tuple[list[str], list[str], list[str]]:
    """Files shown whole, files summarised, and the blocks of the first.

    Going down the ranking, a file is shown whole when it fits while leaving room for the
    summary of the files not shown (as bare paths, or a share of the budget when even
    those would not fit), so the summary can always be written.
    """
    path_costs = {path: _line_cost(_summary_entry(path)) for path in order}
    floor = _line_cost(SUMMARY_HEADING) + _line_cost(_more_line(len(order)))
    cap = max(available // 5, floor)
    pending = sum(path_costs.values())  # bare-path lines of every file not shown whole

    def reserve(pending_paths: int) -> int:
        return min(_line_cost(SUMMARY_HEADING) + pending_paths, cap)

    used = 0
    included: list[str] = []
    summarised: list[str] = []
    blocks: list[str] = []
    for path in order:
        block = render_file(path, files[path])
        cost = _line_cost(block)
        if used + cost + reserve(pending - path_costs[path]) <= available:
            used += cost
            pending -= path_costs[path]
            included.append(path)
            blocks.append(block)
        else:
            summarised.append(path)
    return included, summarised, blocks


def _summary(files: Mapping[str, str], summarised: list[str], room: int) -> list[str]:
    """The summary's lines within ``room`` tokens: every file as a bare path first, then
    line counts and outlines added in priority order while they fit; when even bare paths
    do not all fit, the first ones and a count of the rest."""
    room -= _line_cost(SUMMARY_HEADING)
    bare = {path: _summary_entry(path) for path in summarised}
    total = sum(_line_cost(line) for line in bare.values())
    if total > room:
        listed: list[str] = []
        more_cost = _line_cost(_more_line(len(summarised)))
        used = 0
        for path in summarised:
            cost = _line_cost(bare[path])
            if used + cost + more_cost > room:
                break
            used += cost
            listed.append(path)
        lines = [bare[path] for path in sorted(listed)]
        return [SUMMARY_HEADING, *lines, _more_line(len(summarised) - len(listed))]
    entries = dict(bare)
    used = total
    for detail in (_with_lines, _with_outline):
        for path in summarised:
            richer = detail(path, files[path])
            extra = _line_cost(richer) - _line_cost(entries[path])
            if used + extra <= room:
                used += extra
                entries[path] = richer
    return [SUMMARY_HEADING, *(entries[path] for path in sorted(entries))]


def _summary_entry(path: str) -> str:
    return f"- {path}"


def _with_lines(path: str, content: str) -> str:
    count = line_count(content)
    return f"- {path} ({count} line{'' if count == 1 else 's'})"


def _with_outline(path: str, content: str) -> str:
    described = outline(path, content)
    entry = _with_lines(path, content)
    return f"{entry}: {described}" if described else entry


def _more_line(count: int) -> str:
    return f"- ... and {count} more file{'' if count == 1 else 's'}"


def _locked_line(locked: list[str], budget: int) -> str:
    """The locked files, as many named as ``budget`` allows and the rest counted."""
    if not locked:
        return ""
    line = f"{LOCKED_HEADING} {', '.join(locked)}"
    if _line_cost(line) <= budget:
        return line
    shown: list[str] = []
    for path in locked:
        candidate = f"{LOCKED_HEADING} {', '.join([*shown, path])} and {len(locked)} more"
        if _line_cost(candidate) > budget:
            break
        shown.append(path)
    names = f" {', '.join(shown)} and" if shown else ""
    return f"{LOCKED_HEADING}{names} {len(locked) - len(shown)} more"


def line_count(content: str) -> int:
    """Lines as an editor counts them (a final line without a line break counts)."""
    return content.count("\n") + (1 if content and not content.endswith("\n") else 0)


# --- ranking -----------------------------------------------------------------------------


def rank_files(
    files: Mapping[str, str],
    *,
    prompt: str,
    active_file: str | None = None,
    recent: Sequence[str] = (),
) -> list[str]:
    """Every path of ``files``, most needed first (the order the module docstring gives)."""
    ranked: dict[str, None] = {}

    def add(paths: Iterable[str]) -> None:
        for path in paths:
            if path in files and path not in ranked:
                ranked[path] = None

    named = files_named_in(prompt, files)
    add(named)
    seeds = [*named, *([active_file] if active_file is not None and active_file in files else [])]
    add(seeds)
    for seed in seeds:
        add(imported_files(seed, files))
    add(recent)
    add(ENTRY_POINTS)
    add(sorted(files, key=lambda path: (len(files[path]), path)))
    return list(ranked)


# --- files named in the request ----------------------------------------------------------

GENERIC_STEMS = frozenset(
    {
        "__init__",
        "app",
        "config",
        "constants",
        "data",
        "global",
        "globals",
        "helpers",
        "index",
        "main",
        "package",
        "package-lock",
        "readme",
        "requirements",
        "style",
        "styles",
        "test",
        "tests",
        "tsconfig",
        "type",
        "types",
        "util",
        "utils",
    }
)
"""File names too common in requests ("make the app dark", "add some styles") to mean
that file when written without their extension."""

_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def files_named_in(prompt: str, files: Iterable[str]) -> list[str]:
    """The files the request names, in the order it first names them.

    A file is named by its path ("src/App.css"), its file name ("App.css"), or its name
    without extension written as words ("the Header component" → ``Header.tsx``, "the todo
    list" → ``TodoList.tsx``, "the buttons" → ``Button.tsx``), case-insensitively. Very
    common names (``index``, ``app``, ``styles``...) count only with their extension.
    """
    positions: dict[str, int] = {}
    for path in files:
        position = _first_mention(prompt, path)
        if position is not None:
            positions[path] = position
    return sorted(positions, key=lambda path: (positions[path], path))


def _first_mention(prompt: str, path: str) -> int | None:
    name = posixpath.basename(path)
    patterns = [
        rf"(?<![\w/.-]){re.escape(path)}(?![\w/-])",
        rf"(?<![\w/.-]){re.escape(name)}(?![\w/-])",
    ]
    stem = name.split(".", 1)[0]
    words = [word.lower() for word in _WORD_RE.findall(stem)]
    if words and stem.lower() not in GENERIC_STEMS and len("".join(words)) >= 3:
        joined = r"[\s_-]*".join(re.escape(word) for word in words)
        patterns.append(rf"(?<![\w-]){joined}(?:e?s)?(?![\w-])")
    found = [
        match.start()
        for pattern in patterns
        if (match := re.search(pattern, prompt, re.IGNORECASE)) is not None
    ]
    return min(found) if found else None


# --- imports -----------------------------------------------------------------------------

_SCRIPT_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
_RESOLVED_SUFFIXES = (*_SCRIPT_SUFFIXES, ".css", ".json")
_JS_SPECIFIER_RE = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\n]+)\1"""
)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""")
_HTML_REFERENCE_RE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'#?{}]+)""")
_JINJA_REFERENCE_RE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)""")
_STATIC_URL_RE = re.compile(r"""url_for\(\s*["']static["']\s*,\s*filename\s*=\s*["']([^"']+)""")
# ``from .x import (a, b)`` gives groups 1-3, ``import x, y as z`` group 4.
_PY_IMPORT_STATEMENT_RE = re.compile(
    r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)"
    r"|^[ \t]*import[ \t]+([^\n#]+)",
    re.M,
)
_RENDER_TEMPLATE_RE = re.compile(r"""render_template\(\s*["']([^"']+)["']""")


def imported_files(path: str, files: Mapping[str, str]) -> list[str]:
    """The project files that ``path`` imports or references, in order of appearance.

    JavaScript/TypeScript: relative ``import``/``export ... from``/``import()``/``require``
    (with or without extension, or a folder's ``index``); CSS ``@import``; HTML ``src``/
    ``href`` and Jinja ``extends``/``include`` and ``url_for('static', ...)``; Python
    relative and project-module imports and Flask's ``render_template``.
    """
    content = files.get(path, "")
    folder = posixpath.dirname(path)
    if path.endswith(_SCRIPT_SUFFIXES):
        found = _script_imports(folder, content, files)
    elif path.endswith(".css"):
        found = [
            target
            for spec in _CSS_IMPORT_RE.findall(content)
            if "://" not in spec
            # CSS resolves a bare name ("theme.css") against the importing file's folder.
            for target in _resolve_script(folder, _relative_if_bare(spec), files)
        ]
    elif path.endswith((".html", ".htm", ".jinja", ".j2")):
        found = _html_references(path, content, files)
    elif path.endswith(".py"):
        found = _python_imports(path, content, files)
    else:
        found = []
    return [target for target in dict.fromkeys(found) if target != path]


def _script_imports(folder: str, content: str, files: Mapping[str, str]) -> list[str]:
    return [
        target
        for _, spec in _JS_SPECIFIER_RE.findall(content)
        for target in _resolve_script(folder, spec, files)
    ]


def _resolve_script(folder: str, spec: str, files: Mapping[str, str]) -> list[str]:
    """The file a relative (``./x``, ``../x``) or root (``/src/x``) specifier names."""
    spec = spec.split("?", 1)[0]
    if spec.startswith("/") and not spec.startswith("//"):
        base = _normalise("", spec.lstrip("/"))
    elif spec.startswith(("./", "../")):
        base = _normalise(folder, spec)
    else:
        return []
    if base is None:
        return []
    stem, suffix = posixpath.splitext(base)
    candidates = [
        base,
        *(base + ext for ext in _RESOLVED_SUFFIXES),
        *(f"{base}/index{ext}" for ext in _SCRIPT_SUFFIXES),
    ]
    if suffix in (".js", ".jsx", ".mjs"):  # TypeScript imports name the compiled file
        candidates += [stem + ".ts", stem + ".tsx"]
    return _first_existing(candidates, files)


def _relative_if_bare(spec: str) -> str:
    return spec if spec.startswith(("./", "../", "/")) else f"./{spec}"


def _html_references(path: str, content: str, files: Mapping[str, str]) -> list[str]:
    folder = posixpath.dirname(path)
    found: list[str] = []
    for reference in _HTML_REFERENCE_RE.findall(content):
        if "://" in reference or reference.startswith(("//", "data:", "mailto:")):
            continue
        relative = _normalise(folder, reference)
        rooted = _normalise("", reference.lstrip("/"))
        found += _first_existing([c for c in (relative, rooted) if c], files)
    templates_root = _templates_root(path)
    if templates_root is not None:
        for name in _JINJA_REFERENCE_RE.findall(content):
            found += _first_existing([posixpath.join(templates_root, name)], files)
        app_folder = posixpath.dirname(templates_root)
        for name in _STATIC_URL_RE.findall(content):
            found += _first_existing([posixpath.join(app_folder, "static", name)], files)
    return found


def _templates_root(path: str) -> str | None:
    """The ``templates`` folder a Flask template lives in, or None."""
    parts = path.split("/")
    if "templates" not in parts[:-1]:
        return None
    index = len(parts) - 2 - parts[-2::-1].index("templates")
    return "/".join(parts[: index + 1])


def _python_imports(path: str, content: str, files: Mapping[str, str]) -> list[str]:
    folder = posixpath.dirname(path)
    # Flask puts the app's folder first on the module path, then the project root: an
    # absolute import names the module of the first of them that has it.
    roots = list(dict.fromkeys([folder, ""]))
    found: list[str] = []
    for match in _PY_IMPORT_STATEMENT_RE.finditer(content):
        dots, module, names, plain = match.group(1, 2, 3, 4)
        if plain is not None:
            for item in plain.split(","):
                module_name = item.split(" as ")[0].strip()
                found += _first_hit(_python_module(root, module_name, files) for root in roots)
            continue
        imported = [name.split(" as ")[0].strip() for name in names.strip("()").split(",")]
        if dots:
            package: str | None = folder
            for _ in range(len(dots) - 1):
                package = None if not package else posixpath.dirname(package)
            bases = [] if package is None else [package]
        else:
            bases = roots
        found += _first_hit(_from_import(base, module, imported, files) for base in bases)
    for name in _RENDER_TEMPLATE_RE.findall(content):
        candidates = [posixpath.join(root, "templates", name) for root in roots]
        found += _first_existing(candidates, files)
    return found


def _from_import(base: str, module: str, names: list[str], files: Mapping[str, str]) -> list[str]:
    """``from module import names`` under ``base``: the module, and names that are
    submodules of it."""
    found = _python_module(base, module, files)
    for name in names:
        if name and name != "*":
            found += _python_module(base, f"{module}.{name}" if module else name, files)
    return found


def _first_hit(candidates: Iterable[list[str]]) -> list[str]:
    """The first non-empty result (candidates are evaluated lazily, in order)."""
    return next((hits for hits in candidates if hits), [])


def _python_module(root: str, module: str, files: Mapping[str, str]) -> list[str]:
    if not module or not re.fullmatch(r"[\w.]+", module):
        return []
    base = posixpath.join(root, *module.split("."))
    return _first_existing([f"{base}.py", f"{base}/__init__.py"], files)


def _normalise(folder: str, spec: str) -> str | None:
    """``spec`` relative to ``folder`` as a project path, or None when it leaves the
    project."""
    joined = posixpath.normpath(posixpath.join(folder, spec))
    if joined in (".", "") or joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def _first_existing(candidates: Iterable[str], files: Mapping[str, str]) -> list[str]:
    return next(([path] for path in candidates if path in files), [])


# --- outlines ----------------------------------------------------------------------------

_IDENTIFIER = r"[A-Za-z_$][\w$]*"
_JS_EXPORT_DECLARATION_RE = re.compile(
    r"^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?"
    rf"(?:function\*?|class|const|let|var|interface|type|enum)\s+({_IDENTIFIER})",
    re.M,
)
_JS_EXPORT_LIST_RE = re.compile(r"^export\s+(?:type\s+)?\{([^}]*)\}", re.M)
_JS_EXPORT_DEFAULT_RE = re.compile(rf"^export\s+default\s+({_IDENTIFIER})\s*;?\s*$", re.M)
_JS_FUNCTION_RE = re.compile(rf"^(?:async\s+)?function\*?\s+({_IDENTIFIER})", re.M)
_JS_CLASS_RE = re.compile(rf"^class\s+({_IDENTIFIER})", re.M)
_JS_COMPONENT_RE = re.compile(
    r"^(?:const|let)\s+([A-Z][\w$]*)\s*(?::[^=\n]+)?=\s*"
    r"(?:React\.)?(?:memo\(|forwardRef\(|async\s*\(|\(|[A-Za-z_$][\w$]*\s*=>)",
    re.M,
)
_PY_DEFINITION_RE = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.M)
_PY_ROUTE_RE = re.compile(
    r"^@\w+\.(route|get|post|put|patch|delete)\(\s*[\"']([^\"']+)[\"']([^\n]*)", re.M
)
_PY_METHODS_RE = re.compile(r"methods\s*=\s*[\[(]([^\])]*)")
_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_CSS_PRELUDE_RE = re.compile(r"([^{};]+)\{")
_CSS_KEYFRAME_STEP_RE = re.compile(r"(?:from|to|[\d.]+%)(?:\s*,\s*(?:from|to|[\d.]+%))*")
_HTML_TITLE_RE = re.compile(r"<title>([^<]{1,120})</title>", re.I)
_MARKDOWN_HEADING_RE = re.compile(r"^#{1,3}\s+(.+)$", re.M)


def outline(path: str, content: str) -> str:
    """What a file defines, in a few words, found by regular expressions: exports,
    functions, components and classes of scripts; functions, classes and routes of
    Python; selectors of CSS; a page's title; JSON keys; Markdown headings."""
    describer = _OUTLINERS.get(posixpath.splitext(path)[1].lower())
    if describer is None:
        return ""
    return "; ".join(f"{label}: {_names(names)}" for label, names in describer(content) if names)


def _names(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    shown = ", ".join(name[:60] for name in unique[:MAX_OUTLINE_NAMES])
    rest = len(unique) - MAX_OUTLINE_NAMES
    return f"{shown} (+{rest} more)" if rest > 0 else shown


def _script_outline(content: str) -> list[tuple[str, list[str]]]:
    exported = _JS_EXPORT_DECLARATION_RE.findall(content) + _JS_EXPORT_DEFAULT_RE.findall(content)
    for listed in _JS_EXPORT_LIST_RE.findall(content):
        for item in listed.split(","):
            name = item.split(" as ")[-1].strip()
            if name:
                exported.append(name)
    defined = [
        name
        for pattern in (_JS_FUNCTION_RE, _JS_CLASS_RE, _JS_COMPONENT_RE)
        for name in pattern.findall(content)
        if name not in exported
    ]
    return [("exports", exported), ("defines", defined)]


def _python_outline(content: str) -> list[tuple[str, list[str]]]:
    routes: list[str] = []
    for kind, route, rest in _PY_ROUTE_RE.findall(content):
        if kind != "route":
            routes.append(f"{kind.upper()} {route}")
            continue
        methods = _PY_METHODS_RE.search(rest)
        verbs = re.findall(r"\w+", methods.group(1)) if methods else []
        routes.append(f"{','.join(verb.upper() for verb in verbs)} {route}".strip())
    return [("routes", routes), ("defines", _PY_DEFINITION_RE.findall(content))]


def _css_outline(content: str) -> list[tuple[str, list[str]]]:
    selectors: list[str] = []
    for prelude in _CSS_PRELUDE_RE.findall(_CSS_COMMENT_RE.sub("", content)):
        text = " ".join(prelude.split())
        if not text or text.startswith("@") or _CSS_KEYFRAME_STEP_RE.fullmatch(text):
            continue
        selectors += [selector.strip() for selector in text.split(",") if selector.strip()]
    return [("selectors", selectors)]


def _html_outline(content: str) -> list[tuple[str, list[str]]]:
    return [("title", [" ".join(title.split()) for title in _HTML_TITLE_RE.findall(content)])]


def _json_outline(content: str) -> list[tuple[str, list[str]]]:
    try:
        value = json.loads(content)
    except ValueError:
        return []
    return [("keys", [str(key) for key in value])] if isinstance(value, dict) else []


def _markdown_outline(content: str) -> list[tuple[str, list[str]]]:
    return [("headings", [heading.strip() for heading in _MARKDOWN_HEADING_RE.findall(content)])]


_OUTLINERS: dict[str, Callable[[str], list[tuple[str, list[str]]]]] = {
    **dict.fromkeys(_SCRIPT_SUFFIXES, _script_outline),
    ".py": _python_outline,
    ".css": _css_outline,
    ".html": _html_outline,
    ".json": _json_outline,
    ".md": _markdown_outline,
}
