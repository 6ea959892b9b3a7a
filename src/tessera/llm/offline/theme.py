"""Colours of the generated apps: accent shades by name, and the light and dark palettes.

Every app's ``src/App.css`` starts with a ``:root`` block of CSS variables; the names
here are the variables the follow-up edits look for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WHITE = "#ffffff"
INK = "#1f2937"


@dataclass(frozen=True, slots=True)
class Accent:
    """A theme colour: ``color`` for buttons, links and highlights, ``contrast`` for text on it."""

    name: str
    color: str
    contrast: str = WHITE


ACCENTS: dict[str, Accent] = {
    accent.name: accent
    for accent in (
        Accent("red", "#dc2626"),
        Accent("orange", "#ea580c"),
        Accent("amber", "#f59e0b", INK),
        Accent("yellow", "#eab308", INK),
        Accent("green", "#16a34a"),
        Accent("teal", "#0d9488"),
        Accent("cyan", "#0891b2"),
        Accent("blue", "#2563eb"),
        Accent("indigo", "#4f46e5"),
        Accent("purple", "#9333ea"),
        Accent("violet", "#7c3aed"),
        Accent("pink", "#db2777"),
        Accent("gray", "#4b5563"),
        Accent("black", "#111827"),
    )
}

SYNONYMS = {"grey": "gray"}

_COLOUR_WORD = re.compile(
    r"\b(" + "|".join(sorted([*ACCENTS, *SYNONYMS], key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def find_accent(text: str) -> Accent | None:
    """The first colour named in ``text`` ("make it Green" → green), if any."""
    match = _COLOUR_WORD.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return ACCENTS[SYNONYMS.get(word, word)]


@dataclass(frozen=True, slots=True)
class Palette:
    """Background and text colours; each field is one CSS variable of the same name."""

    scheme: str
    bg: str
    surface: str
    text: str
    muted: str
    border: str

    def variables(self) -> dict[str, str]:
        return {
            "--bg": self.bg,
            "--surface": self.surface,
            "--text": self.text,
            "--muted": self.muted,
            "--border": self.border,
        }


LIGHT = Palette(
    scheme="light",
    bg="#f8fafc",
    surface="#ffffff",
    text="#0f172a",
    muted="#64748b",
    border="#e2e8f0",
)
DARK = Palette(
    scheme="dark",
    bg="#0f172a",
    surface="#1e293b",
    text="#e2e8f0",
    muted="#94a3b8",
    border="#334155",
)


def palette(dark: bool) -> Palette:
    return DARK if dark else LIGHT
