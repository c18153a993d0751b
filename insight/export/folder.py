"""An export folder written whole or not at all.

`writing(out, force)` refuses a folder that exists and is not empty (unless `force`, which replaces
only an earlier export of the same kind: never a folder holding anything else, the current folder or
the warehouse read), yields a
hidden folder beside it to write into, and on success renames that into place (an old folder,
with `force`, is moved aside first and deleted once the new one stands); on any failure the
hidden folder is removed, so no half-written export is ever left where a reader would look; one
that a killed export left (nothing can run then) is removed by the next export to the same folder.
Files and folders made inside are readable by their owner only (etl/transform/private.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from etl.transform import private


class FolderRefused(ValueError):
    """The output folder cannot be used; nothing was written."""


# What an earlier export holds, by kind: the file that marks it and the names it may hold (top
# level). `--force` replaces only a folder holding these and nothing else, so it can never remove a
# warehouse, an inputs folder, a home folder or a checkout given as --out by mistake.
_RETURN_FILES = ("*_return.csv", "*_s104.csv", "*_s104.html")
EXPORTS = {"return": "fields.csv", "parquet": "manifest.json"}


def _parquet_table(folder: Path) -> bool:
    """A table folder of a Parquet export: folders (Hive partitions) and .parquet files only."""
    return not folder.is_symlink() and all(
        (p.is_dir() and not p.is_symlink()) or (p.is_file() and not p.is_symlink() and p.suffix == ".parquet")
        for p in folder.rglob("*"))


def export_kind(folder: Path) -> str | None:
    """"return" or "parquet" when `folder` holds an export of that kind and nothing else, else None."""
    names = {p.name: p for p in folder.iterdir()}
    if "fields.csv" in names and "manifest.json" not in names:
        return "return" if all(p.is_file() and not p.is_symlink() and
                               (n in ("README.md", "fields.csv") or any(p.match(g) for g in _RETURN_FILES))
                               for n, p in names.items()) else None
    if "manifest.json" in names:
        return "parquet" if all((n in ("README.md", "manifest.json", "data_dictionary.csv") and p.is_file()
                                 and not p.is_symlink()) or (p.is_dir() and _parquet_table(p))
                                for n, p in names.items()) else None
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_existing(out: Path, force: bool, keep: tuple[Path, ...] = ()) -> str | None:
    """FolderRefused when `out` is a file, or a folder that is not empty and `force` is not given.
    With `force`, a non-empty folder is refused too unless it is an earlier export (`export_kind`)
    that holds neither the current folder nor any of `keep` (the warehouse read); its kind, else None."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise FolderRefused(f"{out} is a file, not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return None
    if not force:
        raise FolderRefused(f"{out} is not empty: choose a new folder, or pass --force to replace it")
    if _inside(Path.cwd().resolve(), out):
        raise FolderRefused(f"{out} holds the current folder: --force would delete it; choose another --out")
    for path in keep:
        if _inside(Path(path).resolve(), out):
            raise FolderRefused(f"{out} holds the warehouse {path}: --force would delete it; choose another --out")
    kind = export_kind(out)
    if kind is None:
        raise FolderRefused(f"{out} is not an earlier export (it holds files an export does not write): --force "
                            "replaces only an earlier export's folder; choose a new folder")
    return kind


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
def writing(out: Path, force: bool = False, keep: tuple[Path, ...] = ()) -> Iterator[Path]:
    """The hidden folder to write the export into (see the module docstring). With `force`, the
    folder replaced must be an earlier export of the kind just written (`refuse_existing`)."""
    out = Path(out).resolve()
    old_kind = refuse_existing(out, force, keep)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise FolderRefused(f"cannot make the folder {out.parent}: {exc.strerror or exc}") from None
    _remove_abandoned(out)
    with private.owner_only():
        tmp = out.parent / f".{out.name}.{secrets.token_hex(6)}.partial"
        lock = _lock(tmp)   # before the folder: a folder with no lock held is an abandoned one
        try:
            tmp.mkdir(mode=0o700)
            yield tmp
            if old_kind is not None and (new_kind := export_kind(tmp)) != old_kind:
                raise FolderRefused(f"{out} is an earlier {old_kind} export, and this is {new_kind or 'another'} "
                                    "export: --force replaces only an export of the same kind; choose a new folder")
            _move_into_place(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            _lock_path(tmp).unlink(missing_ok=True)
            os.close(lock)


def _lock_path(tmp: Path) -> Path:
    return tmp.with_name(tmp.name + ".lock")


def _lock(tmp: Path) -> int:
    """A lock file beside the hidden folder, held (flock) while the export runs: the system drops it
    when the process ends, however it ends, so a later export can tell an abandoned folder."""
    fd = os.open(_lock_path(tmp), os.O_RDWR | os.O_CREAT | os.O_EXCL, private.OWNER_ONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_abandoned(out: Path) -> None:
    """Remove the hidden folders that exports to `out` killed while writing (SIGKILL, a power cut)
    left beside it, with rows in them: those whose lock no running export holds. An export that
    fails any other way removes its own."""
    for tmp in out.parent.glob(f".{glob.escape(out.name)}.*.partial"):
        lock_path = _lock_path(tmp)
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, private.OWNER_ONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:   # held: an export still writing it
            os.close(fd)
            continue
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)
