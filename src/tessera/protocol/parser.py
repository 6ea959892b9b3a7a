"""The incremental parser of a model's streamed answer.

Feed it text as it arrives; it answers the actions (``protocol.actions``) that the text
so far makes certain, in stream order::

    <tessera-file path="src/App.tsx">…</tessera-file>     FileStarted, FileDelta…, FileEnded
    <tessera-edit path="x">SEARCH/REPLACE blocks</tessera-edit>     FileEdit per block
    <tessera-diff path="x">unified diff</tessera-diff>    FilePatch
    <tessera-delete path="x"/>                            FileDeleted
    <tessera-rename from="a" to="b"/>                     FileRenamed
    <tessera-dependency name="zustand" version="^5"/>     DependencyAdded
    <tessera-dependency name="flask" manager="pip"/>      DependencyAdded (npm or pip)
    <tessera-meta title="…" description="…" category="…"/>  ProjectMeta
    any other text                                        ChatText

The file content rule (line breaks next to the tags, a wrapping code fence) is in
``fences``; a diff tag's body is the patch, without a wrapping fence, and is emitted
whole when its closing tag arrives. Tag names are lower case; attributes may use either
quote and XML entities.
A body-less tag written with a body (``<tessera-delete path="x"></tessera-delete>``) is
accepted. Input never makes the parser raise: what cannot be accepted (a bad path, an
unknown tag, a malformed edit, a file cut off by the end of the stream) becomes an
``ActionRefused`` and the stream goes on.

Only the minimal text that could still start a tag or end a body is held back between
feeds, and each character is examined a bounded number of times, so parsing is linear in
the length of the answer. When the answer used no tag at all, ``close`` also tries the
JSON shape, path-naming code fences and fenced ``diff`` blocks (``fallback``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from tessera.errors import ProtocolError
from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    FileDelta,
    FileEnded,
    FilePatch,
    FileStarted,
)
from tessera.protocol.edit_body import EditBody
from tessera.protocol.fallback import fallback_actions
from tessera.protocol.fences import patch_content
from tessera.protocol.file_body import FileBody
from tessera.protocol.markup import (
    CLOSE_TAG_PARTIAL_RE,
    CLOSE_TAG_PREFIX,
    CLOSE_TAG_RE,
    DIFF_CLOSE,
    EDIT_CLOSE,
    FILE_CLOSE,
    MAX_TAG_CHARS,
    OPEN_NAME_PARTIAL_RE,
    OPEN_NAME_RE,
    TAG_PREFIX,
    TAG_REST_RE,
    TAG_START_RE,
    held_suffix,
    parse_attributes,
)
from tessera.protocol.tags import bodyless_actions, checked_path

_TEXT_NEEDLES = (TAG_PREFIX, CLOSE_TAG_PREFIX)


class _Mode(Enum):
    TEXT = "text"  # chat text, looking for a tag
    TAG = "tag"  # the buffer starts with "<tessera-" or "</tessera-"
    FILE = "file"  # inside a file tag
    EDIT = "edit"  # inside an edit tag
    DIFF = "diff"  # inside a diff tag
    SWALLOW = "swallow"  # inside a refused tag: its body is dropped
    OPTIONAL_BODY = "optional_body"  # after an opening tag that needs no closing tag


class StreamParser:
    """Turns a streamed answer into actions; ``feed`` each piece, then ``close`` once.

    The actions of one call come merged (see ``merge_actions``).
    """

    def __init__(self) -> None:
        self._buf = ""
        self._mode = _Mode.TEXT
        self._file: FileBody | None = None
        self._edit: EditBody | None = None
        self._diff_path: str | None = None
        self._diff_body: list[str] = []  # DIFF mode: the body so far, without its last bytes
        self._closing = ""  # the closing tag ending SWALLOW or OPTIONAL_BODY mode
        self._held_body: list[str] = []  # OPTIONAL_BODY text, dropped if the tag gets closed
        self._line: list[str] = []  # EDIT mode: the current line, while it has no line break
        self._whole: list[str] | None = []  # the answer so far, until a tag is seen
        self._closed = False

    def feed(self, chunk: str) -> list[Action]:
        """Read the next piece of the answer; answer the actions it completes."""
        if self._closed:
            raise ProtocolError("This answer was already closed; start a new StreamParser")
        if not chunk:
            return []
        if self._whole is not None:
            self._whole.append(chunk)
        self._buf += chunk
        out: list[Action] = []
        self._run(out, final=False)
        return merge_actions(out) if len(out) > 1 else out

    def close(self) -> list[Action]:
        """The answer is complete: flush what was held back and report what was cut off."""
        if self._closed:
            return []
        self._closed = True
        out: list[Action] = []
        self._run(out, final=True)
        if self._whole is not None:
            out.extend(fallback_actions("".join(self._whole)))
            self._whole = None
        return merge_actions(out)

    # --- the state machine ---------------------------------------------------------------
    def _run(self, out: list[Action], final: bool) -> None:
        while self._step(out, final):
            pass

    def _step(self, out: list[Action], final: bool) -> bool:
        """Advance in the current mode; ``False`` when more text is needed."""
        match self._mode:
            case _Mode.TEXT:
                return self._text(out, final)
            case _Mode.TAG:
                return self._tag(out, final)
            case _Mode.FILE:
                return self._file_body(out, final)
            case _Mode.EDIT:
                return self._edit_body(out, final)
            case _Mode.DIFF:
                return self._patch_body(out, final)
            case _Mode.SWALLOW:
                return self._swallow(out, final)
            case _Mode.OPTIONAL_BODY:
                return self._optional_body(out, final)

    def _enter(self, mode: _Mode, rest: str) -> bool:
        self._mode = mode
        self._buf = rest
        return True

    def _chat(self, out: list[Action], text: str) -> None:
        if text:
            out.append(ChatText(text))

    def _text(self, out: list[Action], final: bool) -> bool:
        buf = self._buf
        start = TAG_START_RE.search(buf)
        if start is not None:
            self._chat(out, buf[: start.start()])
            return self._enter(_Mode.TAG, buf[start.start() :])
        cut = len(buf) if final else len(buf) - held_suffix(buf, _TEXT_NEEDLES)
        self._chat(out, buf[:cut])
        self._buf = buf[cut:]
        return False

    def _tag(self, out: list[Action], final: bool) -> bool:
        buf = self._buf
        if buf.startswith(CLOSE_TAG_PREFIX):
            closing = CLOSE_TAG_RE.match(buf)
            if closing is not None:  # a closing tag with nothing open: dropped
                self._whole = None
                return self._enter(_Mode.TEXT, buf[closing.end() :])
            if not final and CLOSE_TAG_PARTIAL_RE.fullmatch(buf):
                return False
            self._chat(out, CLOSE_TAG_PREFIX)
            return self._enter(_Mode.TEXT, buf[len(CLOSE_TAG_PREFIX) :])
        name_match = OPEN_NAME_RE.match(buf)
        if name_match is None:
            if not final and OPEN_NAME_PARTIAL_RE.fullmatch(buf):
                return False
            self._chat(out, TAG_PREFIX)
            return self._enter(_Mode.TEXT, buf[len(TAG_PREFIX) :])
        self._whole = None
        name = name_match.group(1)
        rest = TAG_REST_RE.match(buf, name_match.end())
        if rest is not None:
            end = rest.end()
        elif len(buf) > MAX_TAG_CHARS or final:
            end = buf.find(">", name_match.end()) + 1
            if end == 0:
                reason = (
                    f"The model stopped in the middle of a <tessera-{name}> tag; it was ignored"
                    if final
                    else f"A <tessera-{name}> tag was longer than {MAX_TAG_CHARS} characters; "
                    "it was ignored"
                )
                out.append(ActionRefused(parse_attributes(buf).get("path"), reason))
                return self._enter(_Mode.TEXT, buf[name_match.end() :] if not final else "")
        else:
            return False
        inside = buf[name_match.end() : end - 1]
        self_closing = inside.rstrip().endswith("/")
        self._buf = buf[end:]
        self._open(name, parse_attributes(inside), self_closing, out)
        return True

    def _file_body(self, out: list[Action], final: bool) -> bool:
        assert self._file is not None
        buf = self._buf
        body = self._file
        end = buf.find(FILE_CLOSE)
        if end >= 0:
            delta, content = body.finish(buf[:end])
            if delta:
                out.append(FileDelta(body.path, delta))
            out.append(FileEnded(body.path, content))
            self._file = None
            return self._enter(_Mode.TEXT, buf[end + len(FILE_CLOSE) :])
        if final:
            out.append(
                ActionRefused(
                    body.path,
                    f"The model stopped in the middle of {body.path}; "
                    "the partial file was not saved",
                )
            )
            self._file = None
            self._enter(_Mode.TEXT, "")
            return False
        cut = len(buf) - held_suffix(buf, (FILE_CLOSE,))
        consumed, delta = body.advance(buf[:cut])
        if delta:
            out.append(FileDelta(body.path, delta))
        self._buf = buf[consumed:]
        return False

    def _edit_body(self, out: list[Action], final: bool) -> bool:
        assert self._edit is not None
        buf = self._buf
        end = buf.find(EDIT_CLOSE)
        if end >= 0:
            out.extend(self._edit.finish(self._take_line() + buf[:end]))
            self._edit = None
            return self._enter(_Mode.TEXT, buf[end + len(EDIT_CLOSE) :])
        if final:
            out.extend(self._edit.truncated(self._take_line() + buf))
            self._edit = None
            self._enter(_Mode.TEXT, "")
            return False
        last_break = buf.rfind("\n")
        if last_break >= 0:
            out.extend(self._edit.feed_lines(self._take_line() + buf[: last_break + 1]))
            buf = buf[last_break + 1 :]
        cut = len(buf) - held_suffix(buf, (EDIT_CLOSE,))
        if cut:
            self._line.append(buf[:cut])
        self._buf = buf[cut:]
        return False

    def _patch_body(self, out: list[Action], final: bool) -> bool:
        assert self._diff_path is not None
        path = self._diff_path
        buf = self._buf
        end = buf.find(DIFF_CLOSE)
        if end >= 0 or final:
            body = "".join(self._diff_body) + (buf[:end] if end >= 0 else buf)
            self._diff_body.clear()
            self._diff_path = None
            if end < 0:
                out.append(
                    ActionRefused(
                        path,
                        f"The model stopped in the middle of a diff of {path}; it was not applied",
                    )
                )
                self._enter(_Mode.TEXT, "")
                return False
            out.append(_patch_action(path, body))
            return self._enter(_Mode.TEXT, buf[end + len(DIFF_CLOSE) :])
        cut = len(buf) - held_suffix(buf, (DIFF_CLOSE,))
        if cut:
            self._diff_body.append(buf[:cut])
        self._buf = buf[cut:]
        return False

    def _take_line(self) -> str:
        """The start of the edit body's current line, set aside by earlier feeds."""
        line = "".join(self._line)
        self._line.clear()
        return line

    def _swallow(self, out: list[Action], final: bool) -> bool:
        buf = self._buf
        end = buf.find(self._closing)
        if end >= 0:
            return self._enter(_Mode.TEXT, buf[end + len(self._closing) :])
        self._buf = "" if final else buf[len(buf) - held_suffix(buf, (self._closing,)) :]
        return False

    def _optional_body(self, out: list[Action], final: bool) -> bool:
        buf = self._buf
        closing_at = buf.find(self._closing)
        next_tag = buf.find(TAG_PREFIX)
        if closing_at >= 0 and (next_tag < 0 or closing_at < next_tag):
            self._held_body.clear()
            return self._enter(_Mode.TEXT, buf[closing_at + len(self._closing) :])
        if next_tag >= 0 or final:
            end = next_tag if next_tag >= 0 else len(buf)
            self._chat(out, "".join(self._held_body) + buf[:end])
            self._held_body.clear()
            return self._enter(_Mode.TEXT, buf[end:])
        cut = len(buf) - held_suffix(buf, (TAG_PREFIX, self._closing))
        if cut:
            self._held_body.append(buf[:cut])
        self._buf = buf[cut:]
        return False

    # --- opening tags --------------------------------------------------------------------
    def _open(
        self, name: str, attributes: dict[str, str], self_closing: bool, out: list[Action]
    ) -> None:
        """Act on a complete opening tag; the buffer already starts after it."""
        self._mode = _Mode.TEXT
        self._closing = f"</tessera-{name}>"
        if name not in ("file", "edit", "diff"):
            out.extend(bodyless_actions(name, attributes))
            if not self_closing:
                self._mode = _Mode.OPTIONAL_BODY
            return
        path = checked_path(attributes, "path", name)
        if isinstance(path, ActionRefused):
            out.append(path)
            if not self_closing:
                self._mode = _Mode.SWALLOW
        elif name == "diff":
            if self_closing:
                out.append(_patch_action(path, ""))
            else:
                self._diff_path = path
                self._mode = _Mode.DIFF
        elif name == "edit":
            self._edit = EditBody(path)
            if self_closing:
                out.extend(self._edit.finish(""))
                self._edit = None
            else:
                self._mode = _Mode.EDIT
        else:
            out.append(FileStarted(path))
            if self_closing:
                out.append(FileEnded(path, ""))
            else:
                self._file = FileBody(path)
                self._mode = _Mode.FILE


def _patch_action(path: str, body: str) -> Action:
    """The action of a complete diff tag."""
    patch = patch_content(body)
    if not patch.strip():
        return ActionRefused(
            path, f"The diff of {path} was empty (no hunks between the tags); nothing was changed"
        )
    return FilePatch(path, patch)


def parse_all(text: str) -> list[Action]:
    """Parse a complete answer: ``feed`` then ``close``."""
    parser = StreamParser()
    return [*parser.feed(text), *parser.close()]


def merge_actions(actions: Iterable[Action]) -> list[Action]:
    """Join consecutive ``ChatText``, and consecutive ``FileDelta`` of one file.

    Two parses of the same answer cut into different pieces merge to equal lists.
    """
    merged: list[Action] = []
    pieces: list[str] = []  # the texts of the run being merged
    run: ChatText | FileDelta | None = None

    def flush() -> None:
        if isinstance(run, ChatText):
            merged.append(ChatText("".join(pieces)))
        elif isinstance(run, FileDelta):
            merged.append(FileDelta(run.path, "".join(pieces)))
        pieces.clear()

    for action in actions:
        if isinstance(action, ChatText):
            if not isinstance(run, ChatText):
                flush()
                run = action
            pieces.append(action.text)
        elif isinstance(action, FileDelta):
            if not (isinstance(run, FileDelta) and run.path == action.path):
                flush()
                run = action
            pieces.append(action.delta)
        else:
            flush()
            run = None
            merged.append(action)
    flush()
    return merged
