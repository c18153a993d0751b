"""The board pack's map picture never waits for ever (8 December 2026). kaleido's browser can stop
answering, rarely (plotly/Kaleido#441: `to_image` stuck in `oneshot_async_run`), and a run of this
suite was held 50 minutes by one picture of `make_pack`. A render or a browser's start that does
not answer in `RENDER_SECONDS` is now given up, its browser closed, and the picture drawn once
more in a new browser; twice stuck is `MapPictureError`, which the pack turns into a slide that
says so. The hang is made here by kaleido's own render call never returning (the real Chromium
draws every other picture)."""

from __future__ import annotations

import asyncio
import threading
import time

import plotly.graph_objects as go
import pytest

from insight.board_pack import map_slide

DEADLINE = 12.0   # seconds a render may take in these tests: a browser starts in 1-5 s on two busy cores


def _figure() -> go.Figure:
    return go.Figure(layout={"width": 120, "height": 80})


def _in_time(call, seconds: float):
    """call() in a daemon thread, or pytest.fail when it has not returned in `seconds` (the code
    before waited for ever: the test must not)."""
    out: dict = {}

    def run():
        try:
            out["value"] = call()
        except BaseException as exc:   # noqa: BLE001 (handed to the test)
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still waiting after {seconds:.0f} s")
    return out, time.perf_counter() - started


@pytest.fixture
def stuck(monkeypatch):
    """kaleido's render never answers for the first `n[0]` calls (a list, set by the test)."""
    import kaleido

    real = kaleido.Kaleido.calc_fig
    n, calls = [1], []

    async def calc_fig(self, *args, **kwargs):
        calls.append(1)
        if len(calls) <= n[0]:
            await asyncio.sleep(3600)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", calc_fig)
    monkeypatch.setattr(map_slide, "RENDER_SECONDS", DEADLINE, raising=False)
    return n, calls


def test__map_picture__a_render_that_never_answers_is_drawn_again_in_a_new_browser(stuck):
    n, calls = stuck
    out, seconds = _in_time(lambda: map_slide.to_png(_figure()), 4 * DEADLINE + 30)
    assert "error" not in out, out.get("error")
    assert out["value"][:8] == b"\x89PNG\r\n\x1a\n" and len(calls) == 2
    assert seconds >= DEADLINE   # the first was waited for, then given up


def test__map_picture__stuck_twice_is_an_error_not_a_wait(stuck):
    n, calls = stuck
    n[0] = 2
    out, _ = _in_time(lambda: map_slide.to_png(_figure()), 4 * DEADLINE + 30)
    assert isinstance(out.get("error"), map_slide.MapPictureError), out
    assert "did not draw the map" in str(out["error"]) and len(calls) == 2


def test__map_picture__the_command_s_shared_browser_stuck_gives_way_to_a_new_one(stuck):
    """`asb report` starts one browser for the pack (`chromium_started`) and warms it with a tiny
    picture: that one is stuck here, so the warm-up gives up on it, and the pack's picture is drawn
    by a browser of its own."""
    n, calls = stuck

    def pack_picture():
        with map_slide.chromium_started():
            return map_slide.to_png(_figure())

    out, _ = _in_time(pack_picture, 6 * DEADLINE + 60)
    assert "error" not in out, out.get("error")
    assert out["value"][:4] == b"\x89PNG" and map_slide._shared is None


def test__map_picture__a_picture_drawn_as_plotly_draws_it():
    """The same bytes as plotly's own `to_image` (kaleido's one-shot browser) for the same figure."""
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], fill="toself"), layout={"width": 160, "height": 90})
    assert map_slide.to_png(fig, scale=1.5) == fig.to_image(format="png", scale=1.5)
