#!/usr/bin/env bash
# Run the dashboard on demonstration data: set up, build the demo warehouse if there is none
# (asb demo writes data/warehouse.duckdb), write the demo users if there is no users file
# (asb users --demo writes data/users.toml), then serve dashboard.py on port 8501 of 127.0.0.1
# only: set ASB_ADDRESS (e.g. ASB_ADDRESS=0.0.0.0) to listen on other interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
./scripts/setup.sh

if [ -f data/warehouse.duckdb ]; then
    say "data/warehouse.duckdb exists (delete it, or run .venv/bin/asb demo, to rebuild)"
else
    say "building the demo warehouse: asb demo"
    .venv/bin/asb demo
fi

USERS=${ASB_USERS:-data/users.toml}
if [ -f "$USERS" ]; then
    say "$USERS exists (the users who can sign in; README: Roles, sign-in and audit)"
else
    say "writing the demo users to $USERS: asb users --demo"
    .venv/bin/asb users --file "$USERS" --demo
fi
say "sign in as opcc.analyst / demo-opcc, erewash.manager / demo-erewash, derby.manager / demo-derby or board.viewer / demo-board"

PORT=${PORT:-8501}
ADDRESS=${ASB_ADDRESS:-127.0.0.1}
say "starting the dashboard on $ADDRESS: open http://localhost:$PORT (Ctrl+C to stop)"
exec .venv/bin/python -m streamlit run serve.py --server.headless true --server.port "$PORT" \
    --server.address "$ADDRESS"
