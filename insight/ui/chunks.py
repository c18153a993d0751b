"""The front end's chunks a new browser needs after signing in, fetched while it shows the sign-in.

Streamlit's front end loads its element code lazily: the first page drawn after signing in fetched
some 45 chunks (6.5 MB, PlotlyChart alone 4.6 MB) from the server before it could show its charts
and tables, a large part of a first sign-in in a new browser (issue 16, item 8: a median of about
1.0 s, then about 0.8 s with all but PlotlyChart preloaded, bench/HISTORY.md "Clicks in the browser").
`PreloadChunks` names them in a `Link: <...>; rel=modulepreload` header of the app's HTML page, so
the browser fetches and compiles them while the person types their password; a browser that has them keeps them (Streamlit serves its
chunks as immutable, for a year), so only a new browser, or one after a Streamlit upgrade, fetches
them. serve.py installs it (`st.App(..., middleware=[Middleware(PreloadChunks)])`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# The chunks a new browser fetched after its first sign-in, by name without the content hash (the
# browser test tests/browser/test_browser_sign_in.py checks that it now fetches none of them then,
# and tests/unit/test_preload_chunks.py that the installed Streamlit has each of them).
PRELOADED_CHUNKS = (
    # the largest first: the tables (not PlotlyChart, 4.6 MB: preloaded, one first sign-in in five
    # (10 of 48) then took 2.2-2.8 s instead of 0.6-0.9 s, the browser busy for 1.5 s after the page's
    # last message, as if it compiled the chart's code again; left to load when first drawn, no
    # sign-in of 24 took over 1.1 s, bench/HISTORY.md "Clicks in the browser")
    "DataFrame", "arrowFormatUtils", "serialization", "recordbatch", "reactJsonViewCompat",
    "moment", "Quiver", "dist", "pandasStylerUtils", "formatMoment", "withFullScreenWrapper",
    # the sidebar's widgets and the pages' tiles, downloads and help icons
    "Multiselect", "useMenuTrigger", "useLoadMoreSentinel", "_baseMap", "sortBy", "useFilter", "Button",
    "useCollator", "useSyncComboBoxEnterTargetFocus", "purify", "Html", "Metric", "WidgetLabelHelpIconInline",
    "CustomTheme", "printWidthCap", "formatNumber", "sprintfjs", "loadVegaEmbed", "numbro", "ButtonGroup",
    "_baseIndexOf", "_hasUnicode", "range", "unzip", "isString", "isEmpty", "toConsumableArray", "Delete",
    "FileDownload", "_baseAssignValue", "resolveDefaultExport", "createDownloadLinkElement",
    "checkboxIndicatorStyles", "DownloadButton")   # the Overview's table has a CSV button

STATIC = Path(st.__file__).parent / "static"


def chunk_files(static: Path = STATIC) -> list[str]:
    """The file names of `PRELOADED_CHUNKS` in this version of Streamlit (their names carry a content
    hash, so they are looked up, not written here; two small chunks share a name, both are kept)."""
    return [path.name for name in PRELOADED_CHUNKS for path in sorted((static / "static" / "js").glob(f"{name}.*.js"))]


def preload_links(static: Path = STATIC) -> str:
    """The `Link` header's value: a modulepreload of each chunk file, relative to the page as the
    page's own script tags are (so it works under a reverse proxy's path prefix too)."""
    return ", ".join(f"<./static/js/{name}>; rel=modulepreload" for name in chunk_files(static))


class PreloadChunks:
    """ASGI middleware: adds `preload_links()` to every HTML page a GET receives (the app's page, at /
    and at each page's address); every other response passes untouched."""

    def __init__(self, app, links: str | None = None):
        self.app = app
        self.links = (preload_links() if links is None else links).encode("latin-1")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or not self.links:
            await self.app(scope, receive, send)
            return

        async def send_with_links(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if any(k.lower() == b"content-type" and v.lower().startswith(b"text/html") for k, v in headers):
                    message = {**message, "headers": [*headers, (b"link", self.links)]}
            await send(message)

        await self.app(scope, receive, send_with_links)
