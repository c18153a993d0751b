"""The lists a manager acts on, on a council laptop's screen (1366×768), in the real browser: the real
server on the demo warehouse, Debian's Chromium through Playwright (the laptop-screen audit of
7 December 2026).

The main column was 906 px wide there (Streamlit's 5rem padding each side of it), the lists 1,500 to
2,500 px, and the columns a manager acts on came after the wide ones: on the Threshold page's "This
week" and "Second reports" lists, "explained?", the working days left and overdue were off-screen,
and a list scrolled sideways lost the person's column. Here, each list shows the columns it is for
without scrolling, and its identifying column stays in view when it is scrolled to its last column
(`pinned`).

A data grid draws on a canvas; it also keeps, for screen readers, a table of the headers of the
columns it draws (`th[role=columnheader]`), which is what is read here. The last of them may be cut
at the grid's edge, so it does not count as in view when the grid scrolls sideways.
"""

from __future__ import annotations

import pytest
from support import EXCEPTION, settle, signed_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}

GRID_JS = """
(selector) => {
  const grid = document.querySelector(selector);
  if (!grid) return null;
  const scroller = grid.querySelector('.dvn-scroller');
  return {heads: [...grid.querySelectorAll('th[role=columnheader]')].map((th) => th.textContent),
          overflows: scroller.scrollWidth > scroller.clientWidth + 1};
}
"""

SCROLL_RIGHT_JS = """
(selector) => { const s = document.querySelector(selector).querySelector('.dvn-scroller'); s.scrollLeft = s.scrollWidth; }
"""


def grid_selector(key: str | None) -> str:
    """The grid of the element or container of `key` (a table that is not selectable carries no key
    of its own), or the page's first grid."""
    return f'.st-key-{key} [data-testid="stDataFrame"]' if key else '[data-testid="stMain"] [data-testid="stDataFrame"]'


def in_view(page, key: str | None) -> list[str]:
    """The headers of the columns the grid of `key` shows whole (see the module's docstring)."""
    selector = grid_selector(key)
    page.locator(selector).first.wait_for(timeout=60_000)
    settle(page)
    found = page.evaluate(GRID_JS, selector)
    return found["heads"][:-1] if found["overflows"] else found["heads"]


def scrolled_to_the_end(page, key: str | None) -> list[str]:
    """The headers the grid of `key` draws once scrolled to its last column."""
    selector = grid_selector(key)
    page.evaluate(SCROLL_RIGHT_JS, selector)
    page.wait_for_timeout(300)
    settle(page)
    return page.evaluate(GRID_JS, selector)["heads"]


PERSON = "person (pseudonymised)"
THRESHOLD_LISTS = [   # (tab, the grid's key, the columns the list is for)
    ("This week", "thr_queue", {PERSON, "what happened", "explained?", "working days left"}),
    ("Second reports", "thr_second", {PERSON, "second report", "explained?", "working days left",
                                      "working days overdue", "lead agency", "police only"}),
    ("One complaint short", "thr_worklist", {PERSON, "days left", "window expires", "lead agency", "police only"}),
    ("Met, no application", "thr_met", {PERSON, "met since", "lead agency", "police only"}),
]


def test__threshold_lists__the_columns_to_act_on_in_view_on_a_laptop(server, page):
    page.set_viewport_size(LAPTOP)
    for tab, key, wanted in THRESHOLD_LISTS:
        signed_in(page, f"{server}/threshold?thr_list={tab.replace(' ', '+').replace(',', '%2C')}", user="erewash")
        assert page.locator(EXCEPTION).count() == 0, tab
        shown = in_view(page, key)
        assert wanted <= set(shown), (tab, sorted(wanted - set(shown)), shown)
        if key == "thr_second":   # scrolled to its last column, the list still says whose row it is
            end = scrolled_to_the_end(page, key)
            assert "⚠️ departs from s.104" in end and PERSON in end, end


OTHER_LISTS = [   # (page, the key of the grid's container, the columns it is for, its identifying column)
    ("/actions", "ax_action", {"action", "status", "working days overdue", "due", "type", "agency"}, "action"),
    ("/appeals", "ap_action", {"case", "status", "working days left", "decision due"}, "case"),
    ("/maps", "mp_repeats", {"most given location", "authority", "30 days", "365 days", "last"},
     "most given location"),
    ("/audit", None, {"user", "action", "rows"}, None),
]


@pytest.mark.parametrize(("path", "key", "wanted", "pinned"), OTHER_LISTS, ids=[p for p, *_ in OTHER_LISTS])
def test__other_lists__the_columns_to_act_on_in_view_on_a_laptop(server, page, path, key, wanted, pinned):
    page.set_viewport_size(LAPTOP)
    signed_in(page, server + path, user="opcc")
    assert page.locator(EXCEPTION).count() == 0
    shown = in_view(page, key)
    assert wanted <= set(shown), (sorted(wanted - set(shown)), shown)
    if pinned:
        end = scrolled_to_the_end(page, key)
        assert pinned in end and end[-1] not in shown, end
