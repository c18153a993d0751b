"""Files only their owner may read: the pseudonymisation key, the users file, the audit log and its
key, and the warehouse.

A file we write ourselves is created with `os.open(..., O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)`, so
it is never readable by anyone else, not even for a moment, and never follows a planted symbolic
link; a file a library creates (DuckDB, SQLite) is made under a umask of 077 (`owner_only`).
`loose` says when an existing file is readable or writable by the group or the world (the
dashboard warns about it at start-up).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

OWNER_ONLY = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write(path: Path, data: str | bytes, replace: bool = False) -> Path:
    """Write `data` to a new file readable by its owner only; `replace`: write a new file beside
    `path` and move it over `path` (atomic), else refuse a file that exists (FileExistsError)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp") if replace else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, OWNER_ONLY)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        if replace:
            os.replace(target, path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return path


def create_empty(path: Path) -> bool:
    """Create `path` empty and owner-only if it is missing (True when it was made here)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, OWNER_ONLY))
    except FileExistsError:
        return False
    return True


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Files and folders created inside this block (by any library) get no group or world bits.
    The umask is the process's: use it around a build or a command, not in a server's threads."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def loose(path: Path) -> str | None:
    """Why an existing file is not private (group or world may read or write it), else None."""
    try:
        mode = stat.S_IMODE(Path(path).stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        return f"{path} can be read by other users (mode {mode:04o}): run chmod 600 {path}"
    return None
