"""Each provider's default model, apart from the providers: naming a default must not
load an SDK (the openai and anthropic SDKs take about two seconds to import)."""

from __future__ import annotations

from typing import Final

OPENAI_DEFAULT_MODEL: Final = "gpt-4o-mini"
ANTHROPIC_DEFAULT_MODEL: Final = "claude-sonnet-5-5"
