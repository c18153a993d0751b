"""The server's settings: no error details or usage statistics leave it (.streamlit/config.toml),
no forced garbage collection after each run, no source-file watcher, and the demo listens on 127.0.0.1 unless told otherwise (scripts/demo.sh)."""

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


def test__config__no_source_file_watcher():
    """Issue 16, item 8: after a run that imported anything new (every first visit to a page), the
    watcher resolved the path of every loaded module on the server's event loop and held the run's
    last message back (up to 2 s of a first sign-in). The option must exist under this name in the
    installed Streamlit, or the setting would silently do nothing."""
    from streamlit import config as st_config

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    assert "server.fileWatcherType" in st_config._config_options_template
    assert "none" in st_config._config_options_template["server.fileWatcherType"].description


def test__config__no_agent_api():
    """Streamlit's agent API drives the pages over HTTP without a browser: off by default, pinned
    off. The option must exist under this name, or the setting would silently do nothing."""
    from streamlit import config as st_config

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableAgentApi"] is False
    assert "server.enableAgentApi" in st_config._config_options_template
