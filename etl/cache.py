"""Derived reference data kept between processes, so a build does not recompute what only
depends on fixed inputs: the nine districts' LSOAs and the outlines shipped to maps
(etl/transform/geo.py), their H3 cells, the cells' neighbours and the Gi* permutation draws
(etl/marts/hotspots.py), the working-day calendar (etl/marts/reviews.py), the ONS Postcode
Directory's rows by first letter (etl/transform/geo.py). Together these took about 8 s of every
build, small or large (issue 15).

Kept in `cache_dir()`, owner-only, each entry named by a hash of everything it depends on, so a
changed input is another entry; an entry is written whole or not at all (a temporary name, then
`os.replace`), and one that cannot be read is computed again and rewritten. Arrays are NumPy
`.npz` files read with `allow_pickle=False`, frames GeoParquet: reading a cache never runs code.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

VERSION = "2"  # change when what an entry holds changes (2: the wards carry their district)


def cache_dir() -> Path:
    """$ASB_CACHE_DIR, else ~/.cache/asb-derbyshire."""
    return Path(os.environ.get("ASB_CACHE_DIR") or Path.home() / ".cache" / "asb-derbyshire")


def entry(name: str, *parts: object) -> Path:
    """The path of the entry `name` for inputs `parts` (bytes, or anything with a str)."""
    digest = hashlib.sha256(VERSION.encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return cache_dir() / f"{name}-{digest.hexdigest()[:24]}"


def arrays(name: str, parts: tuple, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays `compute()` returns, from the cache when an entry for `parts` is there."""
    path = entry(name, *parts).with_suffix(".npz")
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass
    out = compute()
    keep(path, lambda tmp: np.savez(tmp, **out), suffix=".npz")
    return out


def keep(path: Path, write: Callable[[Path], object], suffix: str = "") -> None:
    """Store an entry whole or not at all: `write(tmp)` makes it (a file or a folder) under a
    temporary name, owner-only, which then replaces `path` (an unreadable old entry goes). A
    cache that cannot be written (a read-only home) is no error: it is computed again next time."""
    import shutil

    from etl.transform import private

    tmp = path.with_name(f"{path.name}.{os.getpid()}{suffix}")
    try:
        with private.owner_only():
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
    except OSError:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
