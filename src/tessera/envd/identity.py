"""Who an envd request acts as: the sandbox's users, and the process prefix that becomes one.

E2B's images have a non-root ``user`` (home ``/home/user``) and ``root``; a request names
one with ``Authorization: Basic base64("<name>:")`` (Connect RPCs and ``/files``) or
``?username=`` (``/files``), else it acts as the default user.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

SETPRIV = "/usr/bin/setpriv"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class UnknownUser(Exception):
    """A request named a user the sandbox does not have (answered ``unauthenticated``)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"user {name!r} does not exist in this sandbox")
        self.name = name


@dataclass(frozen=True, slots=True)
class EnvdUser:
    name: str
    uid: int
    gid: int
    home: str


@dataclass(frozen=True, slots=True)
class EnvdConfig:
    """What the daemon knows of its sandbox."""

    users: Mapping[str, EnvdUser]
    """By name: at least ``default_user``; ``root`` where the sandbox has one."""
    default_user: str = "user"
    path: str = DEFAULT_PATH
    """``PATH`` of every process."""
    envs: Mapping[str, str] = field(default_factory=dict)
    """Environment variables of every process (the sandbox's own ``envs``)."""

    def user(self, name: str | None) -> EnvdUser:
        """The user ``name`` (the default one for None or ""); raises ``UnknownUser``."""
        wanted = name or self.default_user
        found = self.users.get(wanted)
        if found is None:
            raise UnknownUser(wanted)
        return found

    def user_from_headers(
        self, headers: Mapping[str, str], username: str | None = None
    ) -> EnvdUser:
        """The user a request acts as: ``username`` (``/files``'s query) first, then the
        ``Authorization: Basic`` header, else the default user. ``headers`` are looked up
        by lower-case name."""
        if username:
            return self.user(username)
        return self.user(basic_auth_user(headers.get("authorization")))

    def base_env(self, user: EnvdUser) -> dict[str, str]:
        """The environment every process of ``user`` starts with (before request envs)."""
        return {
            "PATH": self.path,
            "HOME": user.home,
            "USER": user.name,
            "LOGNAME": user.name,
            "LANG": "C.UTF-8",
            "E2B_SANDBOX": "true",
            **self.envs,
        }


def basic_auth_user(header: str | None) -> str | None:
    """The user name of an ``Authorization: Basic base64("<name>:<password>")`` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def become(user: EnvdUser) -> list[str]:
    """The argv prefix that runs a command as ``user``: ``setpriv`` to the user's uid/gid
    with every capability dropped and no way to gain new ones, when the daemon runs as
    root; nothing when the daemon already is ``user`` (an unprivileged daemon, in tests)."""
    if os.geteuid() != 0:
        return []
    return [
        SETPRIV,
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--clear-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def own_files(user: EnvdUser, *paths: str) -> None:
    """Makes ``user`` the owner of ``paths`` (entries the daemon created for them) when the
    daemon runs as root; nothing otherwise."""
    if os.geteuid() != 0:
        return
    for path in paths:
        os.lchown(path, user.uid, user.gid)
