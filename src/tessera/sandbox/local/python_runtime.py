"""Tessera's own Python inside a sandbox, for the daemon Tessera runs there (``tessera.envd``).

The interpreter, the packages Tessera runs with and Tessera's code are bound read-only
under ``/opt/tessera`` — not at their host paths, so that a sandbox learns nothing of the
host's folders (a ``/root/.pyenv`` or a checkout's path). Python finds its standard library
from where its executable is; the packages and Tessera's code are added by the daemon's
boot line (``boot_argv``). An interpreter under ``/usr`` is the sandbox's own already.
"""

from __future__ import annotations

import functools
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

INSIDE = "/opt/tessera"
PYTHON_INSIDE = f"{INSIDE}/python"
PACKAGES_INSIDE = f"{INSIDE}/site-packages"
SOURCE_INSIDE = f"{INSIDE}/src"


@dataclass(frozen=True, slots=True)
class PythonRuntime:
    binds: tuple[tuple[str, str], ...]
    """(host folder, folder inside the sandbox), bound read-only."""
    executable: str
    """The interpreter, as the sandbox sees it."""
    library_dir: str | None
    """Where the interpreter's shared ``libpython`` is inside (``LD_LIBRARY_PATH``)."""
    site_dirs: tuple[str, ...]
    """Package folders (their ``.pth`` files processed), inside."""
    source_dir: str | None
    """The folder the ``tessera`` package is in, when it is not among the packages."""

    def boot_argv(self, module: str) -> list[str]:
        """``python -c …`` that sets up the paths and runs ``module``'s ``main()``; the
        arguments that follow go to it as ``sys.argv[1:]``."""
        paths = [self.source_dir] if self.source_dir else []
        boot = (
            "import sys, site; "
            f"sys.path[:0] = {paths!r}; "
            f"[site.addsitedir(d) for d in {list(self.site_dirs)!r}]; "
            f"from {module} import main; main()"
        )
        # -S: not the interpreter's own site-packages (a virtualenv's packages win there).
        return [self.executable, "-S", "-c", boot]

    def env(self) -> dict[str, str]:
        return {"LD_LIBRARY_PATH": self.library_dir} if self.library_dir else {}


def _inside(path: Path, mapping: dict[Path, str]) -> str | None:
    for host, inside in mapping.items():
        if path == host or path.is_relative_to(host):
            return inside + "/" + path.relative_to(host).as_posix() if path != host else inside
    return None


@functools.cache
def python_runtime() -> PythonRuntime:
    base = Path(sys.base_prefix).resolve()
    executable = Path(sys.executable).resolve()
    packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    source = Path(__file__).resolve().parents[3]  # the folder the ``tessera`` package is in
    mapping: dict[Path, str] = {}
    if not base.is_relative_to("/usr"):
        mapping[base] = PYTHON_INSIDE
    if _inside(packages, mapping) is None and not packages.is_relative_to("/usr"):
        mapping[packages] = PACKAGES_INSIDE
    if _inside(source, mapping) is None and not source.is_relative_to("/usr"):
        mapping[source] = SOURCE_INSIDE
    library = sysconfig.get_config_var("LIBDIR")
    library_dir = _inside(Path(library).resolve(), mapping) if library else None
    return PythonRuntime(
        binds=tuple((str(host), inside) for host, inside in mapping.items()),
        executable=_inside(executable, mapping) or str(executable),
        library_dir=library_dir,
        site_dirs=(_inside(packages, mapping) or str(packages),),
        source_dir=_inside(source, mapping) or str(source),
    )
