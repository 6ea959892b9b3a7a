"""``python -m tessera.envd``: serve the envd daemon (inside a sandbox; see ``app``).

``--user NAME:UID:GID:HOME`` (repeatable) names the sandbox's users; ``--env K=V`` adds to
every process's environment. It serves plain HTTP/1.1 on ``--host``:``--port``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from tessera.envd import ENVD_PORT
from tessera.envd.app import create_envd_app
from tessera.envd.identity import DEFAULT_PATH, EnvdConfig, EnvdUser


def parse_user(text: str) -> EnvdUser:
    name, uid, gid, home = text.split(":", 3)
    return EnvdUser(name=name, uid=int(uid), gid=int(gid), home=home)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tessera.envd", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=ENVD_PORT)
    parser.add_argument("--user", action="append", type=parse_user, default=[])
    parser.add_argument("--default-user", default="user")
    parser.add_argument("--path", default=DEFAULT_PATH)
    parser.add_argument("--env", action="append", default=[])
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    users = {user.name: user for user in args.user}
    if not users:
        sys.exit("tessera.envd: give at least one --user NAME:UID:GID:HOME")
    envs = dict(item.split("=", 1) for item in args.env)
    config = EnvdConfig(users=users, default_user=args.default_user, path=args.path, envs=envs)
    uvicorn.run(
        create_envd_app(config),
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
