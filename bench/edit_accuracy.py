"""Edit accuracy: how often a model's edit is applied exactly right, or rightly refused.

Run: ``.venv/bin/python -m bench.edit_accuracy`` (``--json`` for machine-readable results,
``--verbose`` to show why each wrong outcome happened, ``--cases DIR`` for another corpus).

Each case in ``bench/edit_cases/`` is one file: a few ``key: value`` header lines, then
sections that start with a line ``=== original``, ``=== output`` or ``=== expected``::

    # what the case shows
    category: misquoted
    path: src/App.tsx
    expect: applied            (or: refused)
    line-breaks: crlf          (optional: original and expected use \\r\\n)
    answer-line-breaks: crlf   (optional: so does the model's answer)
    new-file: yes              (optional: the file does not exist yet; no original)
    === original
    …the file before…
    === output
    …the model's raw answer: chat text and tags, or fenced blocks…
    === expected
    …the exact file after (only when expect is applied)…

A section is every line between its marker and the next. The model's answer goes through
the whole path a turn takes: ``StreamParser`` fed in small pieces, then each action applied
as the turn's workspace does (``apply_edit``, ``apply_patch``, a whole file checked by
``check_not_lazy``). An answer with any refusal counts as refused. A case is correct when
an expected result is produced exactly, or a refused case is refused; a *wrong edit* is a
change that was applied but is not the expected file (or should have been refused).
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera.errors import TesseraError
from tessera.protocol.actions import Action, ActionRefused, FileEdit, FileEnded, FilePatch
from tessera.protocol.edits import apply_edit
from tessera.protocol.parser import StreamParser
from tessera.protocol.placeholders import check_not_lazy
from tessera.protocol.unified_diff import apply_patch

CASES_DIR = Path(__file__).parent / "edit_cases"
CHUNK_CHARS = 7
"""The answer is fed to the parser in pieces this long (model providers stream a few
characters per delta), so splitting is part of what is measured."""

TARGET = 0.95
_SECTIONS = ("original", "output", "expected")


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    category: str
    path: str
    note: str
    original: str | None
    output: str
    expected: str | None  # None: the edit must be refused


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    result: str | None  # the file after the answer, None when refused
    reason: str | None  # why it was refused
    seconds: float

    @property
    def applied(self) -> bool:
        return self.result is not None

    @property
    def correct(self) -> bool:
        return self.result == self.case.expected

    @property
    def wrong_edit(self) -> bool:
        """A change was made, and it is not the expected one."""
        return self.applied and not self.correct


def load_case(file: Path) -> Case:
    """Read one case file (format in the module's docstring)."""
    headers: dict[str, str] = {}
    note = ""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in file.read_text(encoding="utf-8").splitlines(keepends=True):
        marker = line.rstrip("\n")
        if marker.startswith("=== ") and marker[4:] in _SECTIONS:
            current = sections.setdefault(marker[4:], [])
        elif current is not None:
            current.append(line)
        elif line.startswith("#"):
            note = line[1:].strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip()] = value.strip()
    crlf_file = headers.get("line-breaks") == "crlf"
    crlf_answer = headers.get("answer-line-breaks") == "crlf"

    def section(name: str) -> str | None:
        if name not in sections:
            return None
        text = "".join(sections[name])
        crlf = crlf_answer if name == "output" else crlf_file
        return text.replace("\n", "\r\n") if crlf else text

    expect = headers["expect"]
    if expect not in ("applied", "refused"):
        raise ValueError(f"{file.name}: expect must be applied or refused, not {expect!r}")
    new_file = headers.get("new-file") == "yes"
    return Case(
        name=file.stem,
        category=headers["category"],
        path=headers["path"],
        note=note,
        original=None if new_file else section("original") or "",
        output=section("output") or "",
        expected=section("expected") or "" if expect == "applied" else None,
    )


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    cases = [load_case(file) for file in sorted(folder.glob("*.case"))]
    if not cases:
        raise SystemExit(f"No .case files in {folder}")
    return cases


def parse_streamed(text: str, chunk: int = CHUNK_CHARS) -> list[Action]:
    parser = StreamParser()
    actions: list[Action] = []
    for start in range(0, len(text), chunk):
        actions += parser.feed(text[start : start + chunk])
    return actions + parser.close()


class _Refusal(Exception):
    """An action the benchmark counts as refused (not a Tessera error)."""


def _apply(case: Case, content: str | None, action: Action) -> str | None:
    """The file after ``action`` (``content`` when it does not change this file)."""
    match action:
        case FileEdit(path=path, search=search, replace=replace) if path == case.path:
            if content is None:
                if search.strip():
                    raise _Refusal(f"{path} does not exist, so it cannot be edited")
                new = replace
            else:
                new = apply_edit(content, search, replace, path=path)
        case FilePatch(path=path, patch=patch) if path == case.path:
            new = apply_patch(content or "", patch, path=path)
        case FileEnded(path=path, content=whole) if path == case.path:
            new = whole
        case FileEdit(path=path) | FilePatch(path=path) | FileEnded(path=path):
            raise _Refusal(f"the answer changed {path}, not {case.path}")
        case ActionRefused(reason=reason):
            raise _Refusal(reason)
        case _:
            return content
    check_not_lazy(case.path, content, new)
    return new


def run_case(case: Case) -> Outcome:
    started = time.perf_counter()
    content = case.original
    changed = False
    reason: str | None = None
    for action in parse_streamed(case.output):
        try:
            new = _apply(case, content, action)
        except (TesseraError, _Refusal) as exc:
            reason = str(exc)
            break
        changed = changed or new != content
        content = new
    seconds = time.perf_counter() - started
    if reason is None and not changed:
        reason = "the answer changed nothing"
    result = content if reason is None else None
    return Outcome(case, result, reason, seconds)


def _rate(outcomes: Sequence[Outcome]) -> float | None:
    return sum(outcome.correct for outcome in outcomes) / len(outcomes) if outcomes else None


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The figures the benchmark reports (also its ``--json`` output)."""
    to_apply = [outcome for outcome in outcomes if outcome.case.expected is not None]
    to_refuse = [outcome for outcome in outcomes if outcome.case.expected is None]
    categories: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        categories.setdefault(outcome.case.category, []).append(outcome)
    times = sorted(outcome.seconds for outcome in outcomes)
    return {
        "cases": len(outcomes),
        "applied_correctly": _rate(to_apply),
        "refused_correctly": _rate(to_refuse),
        "correct": _rate(outcomes),
        "wrong_edits": sum(outcome.wrong_edit for outcome in outcomes),
        "refused_wrongly": sum(not outcome.applied for outcome in to_apply),
        "median_ms": statistics.median(times) * 1000 if times else None,
        "max_ms": times[-1] * 1000 if times else None,
        "categories": {
            name: {
                "cases": len(group),
                "correct": sum(outcome.correct for outcome in group),
                "wrong_edits": sum(outcome.wrong_edit for outcome in group),
                "refused_wrongly": sum(
                    not outcome.applied for outcome in group if outcome.case.expected is not None
                ),
            }
            for name, group in categories.items()
        },
        "incorrect": [
            {
                "case": outcome.case.name,
                "category": outcome.case.category,
                "expected": "refused" if outcome.case.expected is None else "applied",
                "outcome": "applied" if outcome.applied else "refused",
                "reason": outcome.reason,
            }
            for outcome in outcomes
            if not outcome.correct
        ],
    }


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def report(summary: dict[str, Any]) -> Iterable[str]:
    yield f"Edit accuracy over {summary['cases']} cases (target ≥ {TARGET * 100:.0f}% correct)"
    yield ""
    applied, refused = summary["applied_correctly"], summary["refused_correctly"]
    median, longest = summary["median_ms"], summary["max_ms"]
    yield "| measure | value |"
    yield "|---|---:|"
    yield f"| applied correctly (of edits that should apply) | {_percent(applied)} |"
    yield f"| refused correctly (of edits that must be refused) | {_percent(refused)} |"
    yield f"| **correct outcome overall** | **{_percent(summary['correct'])}** |"
    yield f"| wrong edits applied | {summary['wrong_edits']} |"
    yield f"| good edits refused | {summary['refused_wrongly']} |"
    yield f"| time per case, median / max | {median:.1f} / {longest:.1f} ms |"
    yield ""
    yield "| category | cases | correct | wrong edits | refused wrongly |"
    yield "|---|---:|---:|---:|---:|"
    for name, figures in summary["categories"].items():
        yield (
            f"| {name} | {figures['cases']} | {figures['correct']} | {figures['wrong_edits']} "
            f"| {figures['refused_wrongly']} |"
        )
    if summary["incorrect"]:
        yield ""
        yield "Incorrect outcomes:"
        for wrong in summary["incorrect"]:
            yield f"- {wrong['case']}: expected {wrong['expected']}, got {wrong['outcome']}"


def _explain(outcome: Outcome) -> Iterable[str]:
    yield f"--- {outcome.case.name} ({outcome.case.note})"
    if outcome.reason is not None:
        yield f"refused: {outcome.reason}"
    elif outcome.case.expected is not None and outcome.result is not None:
        yield from difflib.unified_diff(
            outcome.case.expected.splitlines(),
            outcome.result.splitlines(),
            "expected",
            "result",
            lineterm="",
        )
    else:
        yield "applied, but the edit must be refused"


def main(argv: Sequence[str] | None = None) -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    options.add_argument("--json", action="store_true", help="print machine-readable results")
    options.add_argument("--verbose", action="store_true", help="explain each wrong outcome")
    options.add_argument("--cases", type=Path, default=CASES_DIR, help="folder of .case files")
    arguments = options.parse_args(argv)
    outcomes = [run_case(case) for case in load_cases(arguments.cases)]
    summary = summarise(outcomes)
    if arguments.json:
        print(json.dumps(summary, indent=2))
        return
    for line in report(summary):
        print(line)
    if arguments.verbose:
        for outcome in outcomes:
            if not outcome.correct:
                print()
                for line in _explain(outcome):
                    print(line)


if __name__ == "__main__":
    main()
