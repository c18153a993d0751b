#!/usr/bin/env bash
# Set up this project on a fresh Debian machine with Python 3.11; safe to run again: steps
# already done are skipped. Creates .venv, installs the pinned packages (requirements.txt)
# and the project itself (editable, no dependencies), Debian's Chromium for browser tests (and
# the board pack's map images), LibreOffice Impress and poppler-utils for the board pack's PDF.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else return 1; fi
}
apt_install() {  # refresh the package lists only when the first attempt fails
    as_root apt-get install -y "$@" || { as_root apt-get update && as_root apt-get install -y "$@"; }
}

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ -x .venv/bin/python ]; then
    say ".venv exists ($(.venv/bin/python --version))"
else
    say "creating .venv with $PYTHON ($($PYTHON --version))"
    if ! "$PYTHON" -m venv .venv; then
        rm -rf .venv
        say "python3-venv is missing: installing it with apt-get"
        apt_install python3-venv
        "$PYTHON" -m venv .venv
    fi
fi

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    say "packages in requirements.txt already installed"
else
    say "installing packages: pip install -r requirements.txt"
    .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt
    echo "$wanted" > "$stamp"
fi

if [ -x .venv/bin/asb ] && .venv/bin/python -m pip show -q asb-derbyshire >/dev/null 2>&1; then
    say "project already installed (editable; the asb command exists)"
else
    say "installing the project: pip install --no-deps -e ."
    .venv/bin/python -m pip install --disable-pip-version-check -q --no-deps -e .
fi

if [ -x /usr/bin/chromium ]; then
    say "chromium present at /usr/bin/chromium"
else
    say "installing chromium with apt-get (for the browser tests)"
    apt_install chromium || say "could not install chromium (not root?): browser tests will be skipped"
fi

# the emoji the pages show (the date fields' calendar button, a warning's sign) drawn in the browser
# tests' screenshots, not as empty boxes: Debian's Chromium has no emoji font of its own
if fc-list 2>/dev/null | grep -qi "color emoji"; then
    say "an emoji font is present (the browser tests' screenshots)"
else
    say "installing fonts-noto-color-emoji with apt-get (the emoji in the browser tests' screenshots)"
    apt_install --no-install-recommends fonts-noto-color-emoji \
        || say "could not install it (not root?): emoji show as empty boxes in the screenshots"
fi

if command -v libreoffice >/dev/null && command -v pdftoppm >/dev/null; then
    say "libreoffice and pdftoppm present (board pack PDF)"
else
    say "installing libreoffice-impress, poppler-utils and fonts-liberation with apt-get (board pack PDF)"
    apt_install --no-install-recommends libreoffice-impress poppler-utils fonts-liberation \
        || say "could not install them (not root?): the board pack is made without its PDF"
fi
say "setup done"
