"""Filesystem entries as envd describes them: request paths resolved for a user, ``stat``
turned into ``EntryInfo``, user metadata kept in extended attributes, and the parent
directories envd creates (owned by the user) before it writes or moves anything.

Both the Connect service (``filesystem.py``) and ``/files`` (``files_http.py``) use these,
so an entry looks the same whichever way the SDK asks about it.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import os
import posixpath
import pwd
import stat
from collections.abc import Mapping
from enum import Enum

from protobuf.wkt.google.protobuf.timestamp_pb import Timestamp

from tessera.envd.identity import EnvdUser, own_files
from tessera.envd.proto.filesystem.filesystem_pb import EntryInfo, FileType

DIR_MODE = 0o755
"""Permissions of directories created for a user (what envd's images give them)."""
FILE_MODE = 0o644
"""Permissions of files created for a user."""

METADATA_XATTR_PREFIX = "user.e2b."
"""Extended attributes holding an upload's ``X-Metadata-*`` pairs, as envd stores them."""
MAX_METADATA_BYTES = 4096
"""Bound on one file's metadata (names with prefix plus values): what fits in an ext4 inode."""


class PathError(ValueError):
    """A request path that cannot name an entry (``invalid_argument`` / HTTP 400)."""


class Problem(Enum):
    """What an ``OSError`` means to a client, whichever protocol answers it."""

    NOT_FOUND = "not_found"
    EXISTS = "exists"
    INVALID = "invalid"
    DENIED = "denied"
    NO_SPACE = "no_space"
    LIMIT = "limit"
    INTERNAL = "internal"


_PROBLEMS = {
    errno.ENOENT: Problem.NOT_FOUND,
    errno.EEXIST: Problem.EXISTS,
    errno.ENOTEMPTY: Problem.INVALID,
    errno.ENOTDIR: Problem.INVALID,
    errno.EISDIR: Problem.INVALID,
    errno.EINVAL: Problem.INVALID,
    errno.ELOOP: Problem.INVALID,
    errno.ENAMETOOLONG: Problem.INVALID,
    errno.EXDEV: Problem.INVALID,
    errno.EACCES: Problem.DENIED,
    errno.EPERM: Problem.DENIED,
    errno.EROFS: Problem.DENIED,
    errno.ENOSPC: Problem.NO_SPACE,
    errno.EDQUOT: Problem.NO_SPACE,
    errno.EFBIG: Problem.NO_SPACE,
    errno.EMFILE: Problem.LIMIT,
    errno.ENFILE: Problem.LIMIT,
}


def problem_of(error: OSError) -> Problem:
    """How ``error`` is reported: disk full (ENOSPC, EDQUOT, EFBIG) apart from the rest."""
    return _PROBLEMS.get(error.errno or 0, Problem.INTERNAL)


def describe(error: OSError) -> str:
    """A message for a client: the failure and the path, never a traceback."""
    reason = error.strerror or type(error).__name__
    return f"{reason}: {error.filename}" if error.filename else reason


def resolve_path(path: str, user: EnvdUser) -> str:
    """The absolute, normalised path a request means: ``~`` and relative paths are the
    user's home (an empty path is the home itself); ``..`` is resolved lexically, as envd
    does, without following symlinks."""
    if "\0" in path:
        raise PathError("path contains a NUL character")
    if path.startswith("~"):
        if len(path) > 1 and path[1] != "/":
            raise PathError(f"cannot expand another user's home directory: {path!r}")
        path = user.home + path[1:]
    if not path.startswith("/"):
        path = posixpath.join(user.home, path)
    normal = posixpath.normpath(path)
    # POSIX keeps a leading "//"; envd's (Go's) cleaning does not.
    return "/" + normal.lstrip("/")


def ensure_dirs(path: str, user: EnvdUser) -> None:
    """Creates ``path`` and any missing parent, each ``0755`` and owned by ``user`` (the
    existing ones are left as they are). A parent that is not a directory is a
    ``NotADirectoryError``."""
    missing: list[str] = []
    current = path
    while True:
        try:
            st = os.stat(current)
        except FileNotFoundError:
            missing.append(current)
            parent = posixpath.dirname(current)
            if parent == current:
                break
            current = parent
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "a parent is not a directory", current)
        break
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
            continue
        set_mode(directory, DIR_MODE)
        own_files(user, directory)


def set_mode(path: str | int, mode: int) -> None:
    """Gives a just-created entry exactly ``mode``, whatever the daemon's umask (without a
    second change when the umask already gave it, so a watcher sees no extra event)."""
    st = os.stat(path)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)


class OwnerNames:
    """Owner and group names by id for one request (envd names them like ``ls`` does,
    or gives the number when the sandbox has no such user or group)."""

    def __init__(self) -> None:
        self._users: dict[int, str] = {}
        self._groups: dict[int, str] = {}

    def user(self, uid: int) -> str:
        if uid not in self._users:
            try:
                self._users[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                self._users[uid] = str(uid)
        return self._users[uid]

    def group(self, gid: int) -> str:
        if gid not in self._groups:
            try:
                self._groups[gid] = grp.getgrgid(gid).gr_name
            except KeyError:
                self._groups[gid] = str(gid)
        return self._groups[gid]


def entry_info(
    path: str, names: OwnerNames | None = None, *, shown_as: str | None = None
) -> EntryInfo:
    """The ``EntryInfo`` of ``path`` (not followed if it is a symlink), reported at
    ``shown_as`` when given (a listing reports entries under the path it was asked for,
    which may be a symlink). As envd does, a symlink reports its target's type and
    permission bits, with ``symlink_target`` the fully resolved target; everything else
    (size, time, owner, ``permissions``) is the link's own. Raises ``OSError`` when
    ``path`` does not exist."""
    names = names or OwnerNames()
    st = os.lstat(path)
    symlink_target: str | None = None
    kind_mode = st.st_mode
    if stat.S_ISLNK(st.st_mode):
        symlink_target = _link_target(path)
        try:
            kind_mode = os.stat(path).st_mode
        except OSError:
            kind_mode = 0  # dangling or looping: no type, as envd reports it
    metadata: dict[str, str] = {}
    if symlink_target is None:
        with contextlib.suppress(OSError):  # extra: an entry is described without it
            metadata = read_metadata(path)
    return EntryInfo(
        name=posixpath.basename(path) or "/",
        type=file_type(kind_mode),
        path=shown_as or path,
        size=st.st_size,
        mode=kind_mode & 0o777,
        permissions=permissions_string(st.st_mode),
        owner=names.user(st.st_uid),
        group=names.group(st.st_gid),
        modified_time=Timestamp.from_nanos(st.st_mtime_ns),
        symlink_target=symlink_target,
        metadata=metadata or None,
    )


def _link_target(path: str) -> str:
    try:
        return os.path.realpath(path, strict=True)
    except OSError:
        # Unresolvable: where the link points, made absolute, is the most a client can use.
        return posixpath.normpath(posixpath.join(posixpath.dirname(path), os.readlink(path)))


def file_type(mode: int) -> FileType:
    """envd's type of an entry: file or directory; anything else is unspecified (and the
    SDK leaves such entries out of listings)."""
    if stat.S_ISREG(mode):
        return FileType.FILE
    if stat.S_ISDIR(mode):
        return FileType.DIRECTORY
    return FileType.UNSPECIFIED


_TYPE_LETTERS = (
    (stat.S_ISDIR, "d"),
    (stat.S_ISLNK, "L"),
    (lambda m: stat.S_ISBLK(m) or stat.S_ISCHR(m), "D"),
    (stat.S_ISFIFO, "p"),
    (stat.S_ISSOCK, "S"),
)


def permissions_string(mode: int) -> str:
    """``mode`` written the way envd (Go's ``FileMode.String``) writes it: type and special
    letters, or ``-``, then ``rwxrwxrwx`` — ``-rw-r--r--``, ``drwxr-xr-x``, ``Lrwxrwxrwx``."""
    letters = "".join(letter for test, letter in _TYPE_LETTERS if test(mode))
    if mode & stat.S_ISUID:
        letters += "u"
    if mode & stat.S_ISGID:
        letters += "g"
    if stat.S_ISCHR(mode):
        letters += "c"
    if mode & stat.S_ISVTX:
        letters += "t"
    if stat.S_IFMT(mode) and not letters and not stat.S_ISREG(mode):
        letters = "?"
    bits = "".join(
        char if mode & (1 << (8 - index)) else "-" for index, char in enumerate("rwxrwxrwx")
    )
    return (letters or "-") + bits


_NO_XATTRS = (errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENODATA, errno.EPERM)


def read_metadata(path: str | int) -> dict[str, str]:
    """The user metadata stored on an entry (``user.e2b.<key>`` attributes). Nothing when
    the filesystem keeps no extended attributes; values that are not UTF-8 (set by other
    means) are left out rather than failing the whole answer."""
    try:
        attributes = os.listxattr(path)
    except OSError as error:
        if error.errno in _NO_XATTRS:
            return {}
        raise
    metadata: dict[str, str] = {}
    for attribute in attributes:
        if not attribute.startswith(METADATA_XATTR_PREFIX):
            continue
        try:
            value = os.getxattr(path, attribute)
            metadata[attribute.removeprefix(METADATA_XATTR_PREFIX)] = value.decode()
        except (OSError, UnicodeDecodeError):
            continue
    return metadata


def validate_metadata(metadata: Mapping[str, str]) -> None:
    """Rejects metadata envd would reject (``PathError`` → 400): empty keys, bytes outside
    printable ASCII, more than fits on a file."""
    total = 0
    for key, value in metadata.items():
        if not key:
            raise PathError("metadata keys must not be empty")
        for label, text in (("key", key), (f"value for key {key!r}", value)):
            if any(not 0x20 <= ord(char) <= 0x7E for char in text):
                raise PathError(f"metadata {label} must be printable ASCII")
        total += len(METADATA_XATTR_PREFIX) + len(key) + len(value)
    if total > MAX_METADATA_BYTES:
        raise PathError(f"metadata takes {total} bytes, more than {MAX_METADATA_BYTES}")


def write_metadata(fd: int, metadata: Mapping[str, str]) -> bool:
    """Makes ``metadata`` the file's whole metadata (stale keys of an earlier upload go),
    touching the attributes only when something changes: each change is a CHMOD event
    for watchers. False when the filesystem keeps no extended attributes."""
    try:
        current = read_metadata(fd)
        for key in current.keys() - metadata.keys():
            os.removexattr(fd, METADATA_XATTR_PREFIX + key)
        for key, value in metadata.items():
            if current.get(key) != value:
                os.setxattr(fd, METADATA_XATTR_PREFIX + key, value.encode())
    except OSError as error:
        if error.errno in _NO_XATTRS:
            return False
        raise
    return True
