"""Every file the packages read besides their modules is installed by `pip install .` (the
new-user audit, 6 December: `insight/export/return.toml` was left out, so `asb export return`
failed in any install but the editable one `scripts/setup.sh` makes)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test__every_data_file_of_the_packages_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    missing = []
    for package in ("etl", "insight"):
        for path in (ROOT / package).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            inside = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch.fnmatch(inside, p) for p in patterns.get(package, [])):
                missing.append(f"{package}/{inside}")
    assert missing == []
