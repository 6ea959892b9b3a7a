"""``tessera doctor``: what this machine has, what is missing, and how to fix it."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

from tessera.config import Settings
from tessera.sandbox.local.diagnose import diagnose
from tessera.sandbox.templates import TemplateCache, templates


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


async def _version(*cmd: str) -> str | None:
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
    except OSError:
        return None
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        return None
    lines = out.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else ""


async def _tool(name: str, args: list[str], fix: str) -> Check:
    path = shutil.which(name)
    if path is None:
        return Check(name, False, "not found", fix)
    version = await _version(path, *args)
    if version is None:
        return Check(name, False, f"{path} does not run", fix)
    return Check(name, True, f"{version} ({path})")


def _llm_check(settings: Settings) -> Check:
    provider = settings.effective_llm_provider
    if provider == "offline":
        return Check(
            "language model",
            True,
            "offline demo model (built in; knows a few kinds of app)",
            "set OPENAI_API_KEY (and TESSERA_LLM_BASE_URL for Ollama/vLLM) for a real model",
        )
    if provider == "anthropic":
        if settings.anthropic_api_key is None:
            return Check(
                "language model", False, "anthropic chosen but no key", "set ANTHROPIC_API_KEY"
            )
        model = settings.llm_model or "the default Claude model"
        return Check("language model", True, f"{model} via Anthropic")
    has_key = settings.openai_api_key is not None
    if not has_key and not settings.llm_base_url:
        return Check("language model", False, "openai chosen but no key", "set OPENAI_API_KEY")
    where = settings.llm_base_url or "OpenAI"
    return Check("language model", True, f"{settings.llm_model or 'gpt-4o-mini'} via {where}")


async def run_checks(settings: Settings) -> list[Check]:
    checks = list(
        await asyncio.gather(
            _tool("node", ["--version"], "install Node.js 20 or newer"),
            _tool("npm", ["--version"], "install npm (comes with Node.js)"),
            _tool("bwrap", ["--version"], "apt-get install bubblewrap (sandbox isolation)"),
            _tool("chromium", ["--version"], "apt-get install chromium (end-to-end tests)"),
        )
    )
    checks.append(_llm_check(settings))
    checks += [Check(f.name, f.ok, f.detail, f.fix) for f in await diagnose(settings)]
    cache = TemplateCache(settings.templates_cache_dir)
    for name in templates():
        ready = cache.is_ready(name)
        checks.append(
            Check(
                f"template {name}",
                ready,
                "dependencies cached" if ready else "dependencies not cached",
                "" if ready else "tessera templates warm",
            )
        )
    return checks
