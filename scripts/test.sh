#!/usr/bin/env bash
# Run the test suite: set up, then pytest over tests/ (two workers when pytest-xdist is there).
# Extra arguments go to pytest, e.g. ./scripts/test.sh -m "not browser". Exit code = pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
./scripts/setup.sh

args=(tests/)
if .venv/bin/python -c "import xdist" 2>/dev/null; then
    args=(-n 2 "${args[@]}")
fi
say "running: python -m pytest ${args[*]} $*"
set +e
.venv/bin/python -m pytest "${args[@]}" "$@"
status=$?
set -e
say "pytest finished with exit code $status"
exit "$status"
