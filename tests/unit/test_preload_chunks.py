"""The app's HTML page names the front end's chunks that the first page after signing in needs
(insight/ui/chunks.py, issue 16, item 8): each name is in the installed Streamlit, the `Link`
header goes on HTML pages only, and every other response passes untouched."""

from __future__ import annotations

import asyncio

import pytest

from insight.ui import chunks


def test__chunks__every_name_is_a_chunk_of_the_installed_streamlit():
    """A Streamlit upgrade that renames a chunk would silently drop its preload: every name must
    match a file of the installed front end (a name shared by two small chunks gives both)."""
    files = chunks.chunk_files()
    for name in chunks.PRELOADED_CHUNKS:
        assert any(f.startswith(f"{name}.") and f.endswith(".js") for f in files), name
    assert len(files) == len(set(files)) >= len(chunks.PRELOADED_CHUNKS)
    assert any(f.startswith("DataFrame.") for f in files)
    # plotly's chunk is left to load when first drawn (preloaded, it made one first sign-in in
    # five slower: see insight/ui/chunks.py)
    assert not any(f.startswith("PlotlyChart.") for f in files)


def test__links__one_modulepreload_per_file_relative_to_the_page():
    links = chunks.preload_links().split(", ")
    assert len(links) == len(chunks.chunk_files())
    for link, name in zip(links, chunks.chunk_files(), strict=True):
        assert link == f"<./static/js/{name}>; rel=modulepreload"
        assert (chunks.STATIC / "static" / "js" / name).is_file()


def _respond(middleware_app, method: str, content_type: bytes | None, scope_type: str = "http"):
    """Drive the middleware around a one-response ASGI app; the messages sent."""
    async def inner(scope, receive, send):
        headers = [(b"content-length", b"2")] + ([(b"content-type", content_type)] if content_type else [])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    app = middleware_app(inner)
    asyncio.run(app({"type": scope_type, "method": method, "path": "/"}, receive, send))
    return sent


@pytest.mark.parametrize("content_type", [b"text/html", b"text/html; charset=utf-8", b"TEXT/HTML"])
def test__middleware__adds_the_link_header_to_html_pages(content_type):
    sent = _respond(lambda app: chunks.PreloadChunks(app, links="<./static/js/a.1.js>; rel=modulepreload"),
                    "GET", content_type)
    start, body = sent
    assert (b"link", b"<./static/js/a.1.js>; rel=modulepreload") in start["headers"]
    assert (b"content-length", b"2") in start["headers"] and body["body"] == b"ok"   # the body untouched


@pytest.mark.parametrize("method, content_type", [
    ("GET", b"application/json"), ("GET", b"application/javascript"), ("GET", None),
    ("POST", b"text/html"), ("HEAD", b"text/html"),
])
def test__middleware__leaves_other_responses_alone(method, content_type):
    sent = _respond(lambda app: chunks.PreloadChunks(app, links="<./x.js>; rel=modulepreload"), method, content_type)
    assert all(k != b"link" for k, _ in sent[0]["headers"])


def test__middleware__no_chunks_found_adds_nothing(tmp_path):
    """A Streamlit without these chunks (another version's names): nothing is added, pages still load."""
    assert chunks.preload_links(tmp_path) == ""
    sent = _respond(lambda app: chunks.PreloadChunks(app, links=chunks.preload_links(tmp_path)), "GET", b"text/html")
    assert all(k != b"link" for k, _ in sent[0]["headers"])
