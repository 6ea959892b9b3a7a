"""Placing and applying a slightly misquoted SEARCH text: the last stage of an edit.

Models quote the lines they change from memory, and memory slips: a word differs, a line
is missing or added, ``'`` became ``"``, a trailing comment changed. When neither the exact
text nor the whitespace-tolerant lines are in the file, the SEARCH lines are compared with
windows of the file's lines and the closest window is changed, but only when the place is
certain. A wrong edit is worse than a refused one: the model can retry a refusal, while a
misplaced edit silently breaks the app.

Placing (``locate_fuzzy``):

1. Lines are compared normalised: surrounding whitespace dropped, inner runs of it
   collapsed, every quote (``"`` ``'`` `````) read as ``'``.
2. Candidate places come from SEARCH lines found unchanged in the file (each votes for
   the offset it implies); unless one of them matches perfectly, the longest SEARCH lines
   are also compared one by one with every file line of a similar length.
3. Around each candidate, windows one line shorter or longer at either end are scored.
   The lines of the SEARCH text and of the window are aligned (``diff-match-patch`` in
   line mode; changed lines paired by character similarity). A window's score is the
   share of the SEARCH text's characters found in it (a changed line counts by its
   similarity, a short line as ``MIN_LINE_WEIGHT`` characters), less
   ``FILE_ONLY_PENALTY`` for each file line the SEARCH text lacks.

It is refused when the SEARCH text is too short to place by similarity, when the best
window scores below the threshold, or when another place comes close to it: a window
overlapping the best one (not nested in it) within ``AMBIGUITY_MARGIN``; a window
elsewhere less than twice as far from a perfect score, or differing from the SEARCH text
by fewer than ``MIN_DISTINCT_CHARACTERS`` characters more.

Applying (``merge_window``) is a three-way merge of lines: the SEARCH text is the base,
the window is the file's version of it and the REPLACE text the model's. Lines the model
did not change keep the file's wording (a misquoted but unchanged line stays as the file
has it), file lines the SEARCH text left out stay where they are, and changed ranges take
the REPLACE lines. A file line the SEARCH text left out has no certain place in the result
when it lies in the middle of a range the model changes, where the model inserts lines, or
next to a line the model changes that the file does not have: the edit is then refused.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from diff_match_patch import diff_match_patch  # type: ignore[import-untyped]

MIN_SIMILARITY = 0.75
"""The least score a window needs to be changed."""

SHORT_SEARCH_CHARS = 60
SHORT_MIN_SIMILARITY = 0.86
"""A short SEARCH text (under ``SHORT_SEARCH_CHARS`` normalised characters) needs more:
one wrong word there is a larger part of what identifies the place."""

MIN_FUZZY_CHARS = 16
"""A SEARCH text shorter than this is never placed by similarity (``return x;`` is
similar to too many lines)."""

MIN_LINE_WEIGHT = 8
"""A SEARCH line counts in a window's score as at least this many characters, so that
leaving out a short line (``}``) still costs something."""

FILE_ONLY_PENALTY = 0.04
"""Score lost for each non-blank window line that the SEARCH text does not have."""

AMBIGUITY_MARGIN = 0.05
"""A window overlapping the best one (the same place, shifted) must score this much lower
for the best one to be taken."""

MIN_DISTINCT_CHARACTERS = 2
"""A window elsewhere must be at least twice as far from a perfect score as the best one,
and differ from the SEARCH text by at least this many characters more."""

PAIR_SIMILARITY = 0.5
"""Two differing lines at the same place of an alignment count as one changed line when
their characters are at least this similar."""

MAX_HITS_PER_LINE = 40
"""A SEARCH line found more often than this (``}``, ``</div>``) votes for no place."""

MAX_CANDIDATE_OFFSETS = 12
LINE_ANCHOR_LINES = 3
LINE_ANCHOR_SIMILARITY = 0.7
DIFF_TIMEOUT_SECONDS = 0.2

_SPACE_RE = re.compile(r"\s+")
_QUOTES = str.maketrans({'"': "'", "`": "'"})


def normalise(line: str) -> str:
    """A line as the fuzzy stage compares it."""
    return _SPACE_RE.sub(" ", line.strip()).translate(_QUOTES)


# --- alignment -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Pair:
    """One step of an alignment of ``a`` with ``b``: lines on both sides (``similarity`` 1.0
    when equal), or a line on one side only (the other index ``None``)."""

    a: int | None
    b: int | None
    similarity: float


class _Differ:
    """``diff-match-patch`` with a time limit, answering the measures this module uses."""

    def __init__(self) -> None:
        self._dmp = diff_match_patch()
        self._dmp.Diff_Timeout = DIFF_TIMEOUT_SECONDS
        self._known: dict[tuple[str, str], float] = {}

    def similarity(self, first: str, second: str, *, at_least: float = 0.0) -> float:
        """1 - character edit distance / the longer text's length.

        When a cheap bound (lengths, then counts of each character) shows the answer is
        below ``at_least``, that bound is answered instead of the exact value.
        """
        longest = max(len(first), len(second))
        if not longest:
            return 1.0
        key = (first, second)
        known = self._known.get(key)
        if known is not None:
            return known
        bound = 1.0 - abs(len(first) - len(second)) / longest
        if bound < at_least:
            return bound
        if at_least > 0.0:
            surplus = Counter(first)
            surplus.subtract(second)
            unmatched = max(
                sum(count for count in surplus.values() if count > 0),
                -sum(count for count in surplus.values() if count < 0),
            )
            bound = 1.0 - unmatched / longest
            if bound < at_least:
                return bound
        diffs = self._dmp.diff_main(first, second, False)
        similarity = 1.0 - int(self._dmp.diff_levenshtein(diffs)) / longest
        self._known[key] = similarity
        return similarity

    def _line_ops(self, a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
        """(operation, line count) runs turning ``a`` into ``b``: -1 delete, 0 keep, 1 insert."""
        text_a = "".join(line + "\n" for line in a)
        text_b = "".join(line + "\n" for line in b)
        chars_a, chars_b, _ = self._dmp.diff_linesToChars(text_a, text_b)
        return [(int(op), len(text)) for op, text in self._dmp.diff_main(chars_a, chars_b, False)]

    def align(self, a: Sequence[str], b: Sequence[str], *, pair_changed: bool) -> list[_Pair]:
        """The lines of ``a`` and ``b`` in order; with ``pair_changed``, a deleted and an
        inserted line that are similar enough become one changed pair."""
        pairs: list[_Pair] = []
        deleted: list[int] = []
        inserted: list[int] = []
        at_a = at_b = 0

        def flush() -> None:
            pairs.extend(self._pair_run(a, b, deleted, inserted, pair_changed))
            deleted.clear()
            inserted.clear()

        for op, count in self._line_ops(a, b):
            if op == 0:
                flush()
                pairs.extend(_Pair(at_a + k, at_b + k, 1.0) for k in range(count))
                at_a += count
                at_b += count
            elif op < 0:
                deleted.extend(range(at_a, at_a + count))
                at_a += count
            else:
                inserted.extend(range(at_b, at_b + count))
                at_b += count
        flush()
        return pairs

    def _pair_run(
        self,
        a: Sequence[str],
        b: Sequence[str],
        deleted: Sequence[int],
        inserted: Sequence[int],
        pair_changed: bool,
    ) -> list[_Pair]:
        out: list[_Pair] = []
        next_b = 0
        for index in deleted:
            best: tuple[int, float] | None = None
            if pair_changed:
                for position in range(next_b, len(inserted)):
                    similarity = self.similarity(
                        a[index], b[inserted[position]], at_least=PAIR_SIMILARITY
                    )
                    if similarity >= PAIR_SIMILARITY and (best is None or similarity > best[1]):
                        best = (position, similarity)
            if best is None:
                out.append(_Pair(index, None, 0.0))
                continue
            position, similarity = best
            out.extend(_Pair(None, inserted[k], 0.0) for k in range(next_b, position))
            out.append(_Pair(index, inserted[position], similarity))
            next_b = position + 1
        out.extend(_Pair(None, inserted[k], 0.0) for k in range(next_b, len(inserted)))
        return out


# --- placing -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Window:
    """File lines ``first`` to ``end`` (exclusive) and how well they match the SEARCH text."""

    first: int
    end: int
    similarity: float


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    """The window to change; the SEARCH lines placed are ``search_start``..``search_end``
    (blank lines at either end of the SEARCH text are not placed)."""

    window: Window
    search_start: int
    search_end: int


class MissReason(Enum):
    TOO_SHORT = "too_short"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class FuzzyMiss:
    """Why no window was taken; ``closest`` and ``rival`` are quoted back to the model."""

    reason: MissReason
    closest: Window | None = None
    rival: Window | None = None


class _Scorer:
    """Scores of windows of the file against the SEARCH lines, memoised."""

    def __init__(self, differ: _Differ, file_norm: Sequence[str], core: Sequence[str]) -> None:
        self.differ = differ
        self._file_norm = file_norm
        self._core = core
        self._weights = [max(len(line), MIN_LINE_WEIGHT) if line else 0 for line in core]
        self.weight = sum(self._weights)
        self.scored: dict[tuple[int, int], Window] = {}

    def window(self, first: int, end: int) -> Window:
        key = (first, end)
        known = self.scored.get(key)
        if known is None:
            known = Window(first, end, self._score(self._file_norm[first:end]))
            self.scored[key] = known
        return known

    def _score(self, window: Sequence[str]) -> float:
        found = 0.0
        file_only = 0
        for pair in self.differ.align(self._core, window, pair_changed=True):
            if pair.a is not None:
                found += self._weights[pair.a] * pair.similarity
            elif pair.b is not None and window[pair.b]:
                file_only += 1
        return found / self.weight - FILE_ONLY_PENALTY * file_only


def _exact_votes(core: Sequence[str], hits: dict[str, list[int]]) -> Counter[int]:
    votes: Counter[int] = Counter()
    for index, line in enumerate(core):
        found = hits.get(line, []) if line else []
        if len(found) > MAX_HITS_PER_LINE:
            continue
        for at in found:
            votes[at - index] += len(line)
    return votes


def _line_votes(differ: _Differ, file_norm: Sequence[str], core: Sequence[str]) -> Counter[int]:
    """Votes from the longest SEARCH lines compared with every file line of similar length."""
    votes: Counter[int] = Counter()
    longest = sorted(
        (index for index, line in enumerate(core) if line), key=lambda i: -len(core[i])
    )
    for index in longest[:LINE_ANCHOR_LINES]:
        wanted = core[index]
        for at, line in enumerate(file_norm):
            if not line or not 0.5 <= len(line) / len(wanted) <= 2.0:
                continue
            similarity = differ.similarity(wanted, line, at_least=LINE_ANCHOR_SIMILARITY)
            if similarity >= LINE_ANCHOR_SIMILARITY:
                votes[at - index] += round(similarity * len(wanted))
    return votes


def _score_offsets(
    scorer: _Scorer, file_norm: Sequence[str], votes: Counter[int], size: int
) -> None:
    count = len(file_norm)
    for offset, _ in votes.most_common(MAX_CANDIDATE_OFFSETS):
        for first in (offset - 1, offset, offset + 1):
            for end in (offset + size - 1, offset + size, offset + size + 1):
                if 0 <= first < end <= count and file_norm[first] and file_norm[end - 1]:
                    scorer.window(first, end)


def _best(windows: Sequence[Window], size: int) -> Window:
    return max(windows, key=lambda w: (w.similarity, -abs(w.end - w.first - size), -w.first))


def _nested(first: Window, second: Window) -> bool:
    return (first.first <= second.first and second.end <= first.end) or (
        second.first <= first.first and first.end <= second.end
    )


def locate_fuzzy(lines: Sequence[str], search_lines: Sequence[str]) -> FuzzyMatch | FuzzyMiss:
    """The window of ``lines`` (the file's, without line breaks) that ``search_lines`` means."""
    search_norm = [normalise(line) for line in search_lines]
    nonblank = [index for index, line in enumerate(search_norm) if line]
    if not nonblank:
        return FuzzyMiss(MissReason.TOO_SHORT)
    start, stop = nonblank[0], nonblank[-1] + 1
    core = search_norm[start:stop]
    size = sum(len(line) for line in core)
    if size < MIN_FUZZY_CHARS:
        return FuzzyMiss(MissReason.TOO_SHORT)
    threshold = MIN_SIMILARITY if size >= SHORT_SEARCH_CHARS else SHORT_MIN_SIMILARITY
    file_norm = [normalise(line) for line in lines]
    hits: dict[str, list[int]] = defaultdict(list)
    for at, line in enumerate(file_norm):
        if line:
            hits[line].append(at)
    differ = _Differ()
    scorer = _Scorer(differ, file_norm, core)
    _score_offsets(scorer, file_norm, _exact_votes(core, hits), len(core))
    if not scorer.scored or _best(list(scorer.scored.values()), len(core)).similarity < 1.0:
        # Places whose every line differs a little get no exact votes: look for them too,
        # as the place itself when none is good enough, or as rivals of an imperfect one.
        _score_offsets(scorer, file_norm, _line_votes(differ, file_norm, core), len(core))
    if not scorer.scored:
        return FuzzyMiss(MissReason.NOT_FOUND)
    windows = list(scorer.scored.values())
    best = _best(windows, len(core))
    if best.similarity < threshold:
        return FuzzyMiss(MissReason.NOT_FOUND, closest=best)
    rivals = [window for window in windows if _rivals(window, best, scorer.weight)]
    if rivals:
        return FuzzyMiss(MissReason.AMBIGUOUS, closest=best, rival=_best(rivals, len(core)))
    return FuzzyMatch(best, start, stop)


def _rivals(window: Window, best: Window, weight: int) -> bool:
    """``window`` is another place about as good as ``best`` (``weight``: the SEARCH
    text's size in the score's characters)."""
    if _nested(window, best):
        return False  # the same place, a line more or less
    best_deficit = 1.0 - best.similarity
    overlaps = window.first < best.end and best.first < window.end
    distinct = max(MIN_DISTINCT_CHARACTERS / weight, best_deficit)
    needed = AMBIGUITY_MARGIN if overlaps else distinct
    return (1.0 - window.similarity) - best_deficit < needed


# --- applying ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MergedLine:
    """A line of the merged window: the file's own (kept as is) or a REPLACE line."""

    text: str
    from_replace: bool = False


@dataclass(frozen=True, slots=True)
class Merged:
    """The window's new lines, and the (base, window) indices of the non-blank lines both
    have: their indentation tells how to re-indent the REPLACE lines."""

    lines: list[MergedLine]
    pairs: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """A file line the SEARCH text left out sits inside a range the model changed."""

    file_line: int


@dataclass(frozen=True, slots=True)
class _Hunk:
    """Base lines ``start``..``end`` (exclusive) became ``lines`` in the REPLACE text."""

    start: int
    end: int
    lines: list[str]


def _hunks(differ: _Differ, base: Sequence[str], replace: Sequence[str]) -> list[_Hunk]:
    hunks: list[_Hunk] = []
    open_hunk: _Hunk | None = None
    at_base = 0
    for pair in differ.align(
        [line.rstrip() for line in base], [line.rstrip() for line in replace], pair_changed=False
    ):
        if pair.a is not None and pair.b is not None:
            open_hunk = None
            at_base = pair.a + 1
            continue
        if open_hunk is None:
            open_hunk = _Hunk(at_base, at_base, [])
            hunks.append(open_hunk)
        if pair.a is not None:
            hunks[-1] = open_hunk = _Hunk(open_hunk.start, pair.a + 1, open_hunk.lines)
            at_base = pair.a + 1
        elif pair.b is not None:
            open_hunk.lines.append(replace[pair.b])
    return hunks


def merge_window(
    window: Sequence[str], base: Sequence[str], replace: Sequence[str]
) -> Merged | MergeConflict:
    """Three-way merge: ``base`` (the placed SEARCH lines) changed into ``replace`` by the
    model, applied to ``window`` (the file's version of ``base``)."""
    differ = _Differ()
    base_to_file = differ.align(
        [normalise(line) for line in base], [normalise(line) for line in window], pair_changed=True
    )
    pairs = [
        (pair.a, pair.b)
        for pair in base_to_file
        if pair.a is not None and pair.b is not None and base[pair.a].strip()
    ]
    hunks = _hunks(differ, base, replace)
    hunk_of: dict[int, int] = {}
    inserted_before: dict[int, int] = {}
    for number, hunk in enumerate(hunks):
        if hunk.start == hunk.end:
            inserted_before[hunk.start] = number
        for index in range(hunk.start, hunk.end):
            hunk_of[index] = number
    out: list[MergedLine] = []
    emitted: set[int] = set()
    inside: int | None = None  # the changed range being read, until its last base line
    pending_insert: int | None = None  # an insertion waiting for the next base line
    # Since the last base line found in the window: a file line the SEARCH text lacks, and
    # whether a changed base line the file lacks came. Both together leave the change's
    # place unclear (does the model's new line replace that file line, or go beside it?).
    unquoted: int | None = None
    unplaced_change = False

    def emit(number: int) -> None:
        if number not in emitted:
            emitted.add(number)
            out.extend(MergedLine(line, True) for line in hunks[number].lines)

    for pair in base_to_file:
        if pair.a is None:
            assert pair.b is not None
            if not window[pair.b].strip():
                if inside is None:
                    out.append(MergedLine(window[pair.b]))
                continue
            if inside is not None or pending_insert is not None or unplaced_change:
                return MergeConflict(pair.b)
            unquoted = pair.b
            out.append(MergedLine(window[pair.b]))
            continue
        if pair.a in inserted_before:
            emit(inserted_before[pair.a])
        pending_insert = None
        changed = hunk_of.get(pair.a)
        if pair.b is not None:
            unquoted, unplaced_change = None, False
        elif changed is not None and base[pair.a].strip():
            if unquoted is not None:
                return MergeConflict(unquoted)
            unplaced_change = True
        if changed is None:
            inside = None
            if pair.b is not None:
                out.append(MergedLine(window[pair.b]))
        else:
            emit(changed)
            inside = changed if pair.a + 1 < hunks[changed].end else None
        if pair.a + 1 in inserted_before and pair.a + 1 < len(base):
            pending_insert = inserted_before[pair.a + 1]
    if len(base) in inserted_before:
        emit(inserted_before[len(base)])
    return Merged(out, pairs)
