"""Command line: ``tessera serve | doctor | templates warm | templates build |
sandbox serve-e2b``."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tessera.config import Settings

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from tessera.sandbox.templates.e2b_templates import E2BTemplate

cli = typer.Typer(help="Tessera: describe an app, watch it being built and running.")
templates_cli = typer.Typer(help="Sandbox templates.")
cli.add_typer(templates_cli, name="templates")
sandbox_cli = typer.Typer(help="Local sandboxes.")
cli.add_typer(sandbox_cli, name="sandbox")


def _settings(host: str | None, port: int | None, data_dir: Path | None) -> Settings:
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return Settings(**overrides)  # type: ignore[arg-type]


@cli.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on.", envvar="TESSERA_HOST")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port.", envvar="TESSERA_PORT")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where projects live.", envvar="TESSERA_DATA_DIR")
    ] = None,
) -> None:
    """Start Tessera's server."""
    import uvicorn

    from tessera.app import create_app
    from tessera.errors import TesseraError

    settings = _settings(host, port, data_dir)
    console = Console()
    try:
        app = create_app(settings)
    except TesseraError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    if settings.sandbox in ("local", "local-e2b"):
        _warm_quietly(settings, console)
    console.print(f"Tessera is running at [bold]http://{settings.host}:{settings.port}/[/]")
    console.print(
        f"Data: {settings.data_dir}   Model: {settings.effective_llm_provider}   "
        f"Sandboxes: {settings.sandbox}"
    )
    # Open streams (a workspace's console) never end by themselves: give them 1 s on
    # shutdown, then close them, so that stopping Tessera never hangs on a browser tab.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )


def _warm_quietly(settings: Settings, console: Console) -> None:
    """Prepares the templates whose dependencies are not cached yet (once per machine)."""
    from tessera.sandbox.templates import TemplateCache, templates

    cache = TemplateCache(settings.templates_cache_dir)
    for name in templates():
        if cache.is_ready(name):
            continue
        with console.status(f"Preparing the {name} template (once per machine)..."):
            try:
                asyncio.run(cache.warm(name))
            except Exception as exc:  # report and go on: the server itself can still start
                console.print(
                    f"[yellow]Could not prepare the {name} template ({exc}); "
                    f"its apps will not start until `tessera templates warm` succeeds.[/]"
                )


@cli.command()
def doctor() -> None:
    """Check what Tessera needs on this machine."""
    from tessera.doctor import run_checks

    console = Console()
    checks = asyncio.run(run_checks(Settings()))
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        line = f"{mark} {check.name}: {check.detail}"
        if check.fix:
            line += f"  [dim]→ {check.fix}[/]"
        console.print(line)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@templates_cli.command("warm")
def templates_warm(
    name: Annotated[list[str] | None, typer.Argument(help="Templates (default: all)")] = None,
) -> None:
    """Install the templates' dependencies into the machine-level cache."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from tessera.sandbox.templates import TemplateCache, templates

    cache = TemplateCache(Settings().templates_cache_dir)
    names = name or list(templates())
    with Progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        for template in names:
            task = progress.add_task(f"{template}: installing dependencies", total=None)

            def report(line: str, task: TaskID = task, template: str = template) -> None:
                progress.update(task, description=f"{template}: {line[:80]}")

            asyncio.run(cache.warm(template, on_progress=report))
            progress.update(task, description=f"{template}: ready", completed=1, total=1)


class BuildTarget(StrEnum):
    e2b = "e2b"


@templates_cli.command("build")
def templates_build(
    name: Annotated[list[str] | None, typer.Argument(help="Templates (default: all)")] = None,
    provider: Annotated[
        BuildTarget, typer.Option(help="Where to build them (E2B needs E2B_API_KEY).")
    ] = BuildTarget.e2b,
) -> None:
    """Build the templates as images of a sandbox provider (E2B: its Template SDK), with the
    starter files and their dependencies installed; sandboxes start from them."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from tessera.errors import TesseraError
    from tessera.sandbox.factory import e2b_api_key

    console = Console()
    settings = Settings()
    try:
        api_key = e2b_api_key(settings)
        from tessera.sandbox.templates.e2b_templates import select

        chosen = select(name)
        with Progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
            asyncio.run(_build_on_e2b(chosen, api_key, settings.e2b_domain, progress))
    except TesseraError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None


async def _build_on_e2b(
    chosen: list[E2BTemplate], api_key: str, domain: str | None, progress: Progress
) -> None:
    from tessera.sandbox.templates.e2b_templates import build

    for template in chosen:
        label = f"{template.template} → {template.e2b_name}"
        task = progress.add_task(f"{label}: building", total=None)

        def report(line: str, task: TaskID = task, label: str = label) -> None:
            progress.update(task, description=f"{label}: {line[:80]}")

        info = await build(template, api_key=api_key, domain=domain, on_log=report)
        progress.update(
            task, description=f"{label}: built ({info.template_id})", completed=1, total=1
        )


@sandbox_cli.command("serve-e2b")
def sandbox_serve_e2b(
    template: Annotated[str, typer.Option(help="The sandbox's template.")] = "react",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "localhost",
    port: Annotated[int, typer.Option(help="Port (E2B_DEBUG=true expects 49983).")] = 49983,
) -> None:
    """Serve one local sandbox the way E2B's SDK talks to a sandbox (its envd protocol)."""
    from tessera.errors import TesseraError
    from tessera.serve_e2b import Served, serve_e2b

    console = Console()

    def ready(served: Served) -> None:
        exports = "  ".join(f"export {k}={v}" for k, v in served.sdk_environment.items())
        console.print(
            f"Sandbox [bold]{served.sandbox_id}[/] ({served.template}) serves E2B's protocol "
            f"at [bold]{served.url}[/]\n"
            f"Point E2B's SDK at it:  {exports}\n"
            f'  python -c "from e2b import Sandbox; '
            f"print(Sandbox.create().commands.run('uname -a').stdout)\"\n"
            f"Reset it (files and processes):  curl -X POST {served.reset_url}\n"
            "Ctrl+C stops it."
        )

    def say(line: str) -> None:
        console.print(line)

    try:
        asyncio.run(
            serve_e2b(Settings(), template=template, host=host, port=port, on_ready=ready, say=say)
        )
    except KeyboardInterrupt:
        pass
    except TesseraError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    except OSError as exc:
        console.print(f"[red]Cannot serve on {host}:{port}: {exc.strerror or exc}[/]")
        raise typer.Exit(1) from None


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
