"""Failed dependency installs: npm's ``npm error`` (``npm ERR!`` before npm 9) lines and
pip's ``ERROR:`` lines, one report per failed install.

npm's first lines are codes (``code ETARGET``), then what went wrong, tagged
(``notarget No matching version found for react-dom@999.0.0.``), then advice and the log's
path; the message is the first line saying what went wrong, with npm's code. pip's last
``ERROR:`` line is its conclusion (``No matching distribution found for …``).
"""

from __future__ import annotations

import re

from tessera.diagnostics.blocks import Block, Verdict
from tessera.diagnostics.model import AppError
from tessera.diagnostics.paths import strip_roots

NPM_ERROR = re.compile(r"^npm (?:ERR!|error)(?: (?P<rest>.*))?$")
PIP_ERROR = re.compile(r"^ERROR: (?P<rest>.+)$")

_NPM_FIELD = re.compile(
    r"^(?P<key>code|errno|syscall|path|dest|signal|command|cwd)\s+(?P<value>.*)$"
)
_NPM_TAG = re.compile(r"^(?P<tag>[a-z][a-z0-9-]*) (?P<text>[A-Z].*)$")
_NPM_LAST = "A complete log of this run can be found in"


class NpmBlock(Block):
    def accept(self, line: str) -> Verdict:
        match = NPM_ERROR.match(line)
        if match is None:
            return Verdict.NOT_MINE
        verdict = self.take(line)
        return Verdict.LAST if (match["rest"] or "").startswith(_NPM_LAST) else verdict

    def finish(self) -> AppError:
        code: str | None = None
        message: str | None = None
        texts: list[str] = []
        for line in self.lines:
            match = NPM_ERROR.match(line)
            rest = ((match["rest"] if match else line) or "").strip()
            texts.append(rest)
            field = _NPM_FIELD.match(rest)
            if field is not None:
                code = code or (field["value"] if field["key"] == "code" else None)
            elif rest and message is None and not rest.startswith(_NPM_LAST):
                tagged = _NPM_TAG.match(rest)
                message = tagged["text"] if tagged else rest
        headline = f"npm {code}" if code else "npm"
        return AppError(
            "build",
            f"{headline}: {message or 'the install failed'}",
            detail=strip_roots("\n".join(texts)),
            file="package.json",
        )


class PipBlock(Block):
    def accept(self, line: str) -> Verdict:
        return self.take(line) if PIP_ERROR.match(line) else Verdict.NOT_MINE

    def finish(self) -> AppError:
        texts = [line.removeprefix("ERROR: ") for line in self.lines]
        return AppError("build", f"pip: {texts[-1]}", detail=strip_roots("\n".join(texts)))
