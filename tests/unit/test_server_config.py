"""The server's settings: no error details or usage statistics leave it (.streamlit/config.toml),
no forced garbage collection after each run, and the demo listens on 127.0.0.1 unless told otherwise (scripts/demo.sh)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test__config__no_tracebacks_sql_or_paths_reach_the_browser_and_no_usage_statistics():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["disableDataExport"] is True


def test__config__no_full_garbage_collection_after_each_run():
    """Issue 16, item 8: Streamlit's forced gc.collect after every run delays the run's last
    message, so every click, by about 0.1 s."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False


def test__demo_sh__binds_127_0_0_1_unless_asb_address_says_otherwise():
    script = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    run = script[script.index("streamlit run"):]
    assert re.search(r'--server\.address "\$ADDRESS"', run)
    assert 'ADDRESS=${ASB_ADDRESS:-127.0.0.1}' in script
