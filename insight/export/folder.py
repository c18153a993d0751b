"""An export folder written whole or not at all.

`writing(out, force)` refuses a folder that exists and is not empty (unless `force`), yields a
hidden folder beside it to write into, and on success renames that into place (an old folder,
with `force`, is moved aside first and deleted once the new one stands); on any failure the
hidden folder is removed, so no half-written export is ever left where a reader would look.
Files and folders made inside are readable by their owner only (etl/transform/private.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from etl.transform import private


class FolderRefused(ValueError):
    """The output folder cannot be used; nothing was written."""


def refuse_existing(out: Path, force: bool) -> None:
    """FolderRefused when `out` is a file, or a folder that is not empty and `force` is not given."""
    if out.exists() and not out.is_dir():
        raise FolderRefused(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FolderRefused(f"{out} is not empty: choose a new folder, or pass --force to replace it")


def _move_into_place(tmp: Path, out: Path) -> None:
    aside = None
    if out.is_dir() and any(out.iterdir()):
        aside = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
        out.rename(aside)
    try:
        os.replace(tmp, out)  # onto a missing or empty folder
    except BaseException:
        if aside is not None:
            aside.rename(out)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def writing(out: Path, force: bool = False) -> Iterator[Path]:
    """The hidden folder to write the export into (see the module docstring)."""
    out = Path(out).resolve()
    refuse_existing(out, force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise FolderRefused(f"cannot make the folder {out.parent}: {exc.strerror or exc}") from None
    with private.owner_only():
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
        try:
            yield tmp
            _move_into_place(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
