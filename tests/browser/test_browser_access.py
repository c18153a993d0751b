"""Roles in the real browser: the served dashboard (its own audit file) driven by Chromium.

A signed-out visitor gets the sign-in page at every address; a wrong password gets nothing; each
role's sidebar lists its pages only; a board viewer's deep link to the threshold or audit page
lands on the overview with no person in sight; a council manager who puts another council in the
URL gets its counts but no people, and a downloaded work list holds their own authority only,
with the download in the audit log; the OPCC analyst reads that log on the audit page; signing
out goes back to the sign-in page.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support import EXCEPTION, assert_not_blank, screenshot, serve, signed_in

from insight import ui
from insight.access import audit, auth
from insight.access import roles as access

pytestmark = pytest.mark.browser
EREWASH, DERBY = "E07000036", "E06000015"
ROOT = Path(__file__).resolve().parents[2]


def _role_nav(user: str) -> set[str]:
    """The titles of the dashboard's pages (dashboard.py) that the role may open (insight/access/roles.py)."""
    user_id, _, role, code, _ = auth.DEMO_USERS[user]
    pages = re.findall(r'st\.Page\("app_pages/[a-z_]+\.py", title="([^"]+)"[^)]*?url_path="([a-z_]+)"',
                       (ROOT / "dashboard.py").read_text(), re.S)
    nav = {title for title, path in pages if access.may_open(access.Viewer(user_id, role, code), path)}
    assert {"Overview", "Data quality"} <= nav
    return nav


@pytest.fixture(scope="module")
def site(demo_warehouse, tmp_path_factory):
    """(base URL, audit file) of a server on the demo warehouse writing its own audit log."""
    folder = tmp_path_factory.mktemp("access_server")
    path = folder / "audit.sqlite"
    for url in serve(demo_warehouse, folder / "streamlit.log", env={audit.AUDIT_ENV: str(path)}):
        yield url, path


def _nav(tab) -> set[str]:
    links = tab.locator('[data-testid="stSidebarNav"] a')
    return {links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())}  # after the icon


def _log(path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("select user_id, action, page, what, row_count from audit_log order by seq").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("path", ["/", "/threshold?authority=E07000036", "/audit", "/maps"])
def test__signed_out__every_address_shows_only_the_sign_in_page(site, page, path):
    signed_in(page, site[0] + path, user=None)
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.get_by_text(ui.ATTRIBUTION).count() == 0 and page.get_by_text("Authorities").count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0 and _nav(page) == set()
    if path == "/":
        assert_not_blank(screenshot(page, "sign_in"), min_colours=20)


def test__sign_in__a_wrong_password_gets_nothing(site, page):
    signed_in(page, site[0] + "/threshold", user=None)
    page.get_by_label("User", exact=True).fill("opcc.analyst")
    page.get_by_label("Password", exact=True).fill("guess")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("Unknown user or wrong password").wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="This week", exact=True).count() == 0


@pytest.mark.parametrize("user, label", [("opcc", "OPCC analyst"), ("erewash", "Council manager, Erewash"),
                                         ("board", "Board viewer")])
def test__navigation__each_role_s_sidebar_lists_its_pages(site, page, user, label):
    signed_in(page, site[0] + "/", user=user)
    assert page.locator(EXCEPTION).count() == 0
    assert _nav(page) == _role_nav(user)
    assert ("Threshold near-misses" in _nav(page)) == (user != "board")
    assert ("Audit log" in _nav(page)) == (user == "opcc")
    who = page.locator('[data-testid="stSidebar"] p', has_text="Signed in as").inner_text()
    assert who.endswith(label), who


@pytest.mark.parametrize("path", ["/threshold", "/audit", "/threshold?authority=E07000036"])
def test__deep_link__a_board_viewer_lands_on_the_overview_with_no_person(site, page, path):
    signed_in(page, site[0] + path, user="board")
    assert page.get_by_role("heading", name="Overview").is_visible()
    for tab in ("This week", "One complaint short", "Met, no application", "Second reports"):
        assert page.get_by_role("tab", name=tab, exact=True).count() == 0, tab   # the lists' tabs
    assert page.get_by_role("heading", name="Audit log").count() == 0
    assert page.get_by_text("Hash chain intact").count() == 0
    assert not [a for a in _log(site[1]) if a[0] == "board.viewer" and a[1] in ("view", "export")]
    # said on the page, not as Streamlit's "page not found"; the address is the Overview's (the root)
    notice = page.get_by_text("is not open to your role")
    expect(notice).to_be_visible()
    assert ("Threshold near-misses" if "threshold" in path else "Audit log") in notice.inner_text()
    assert page.get_by_text("Page not found").count() == 0 and path.split("?")[0] not in page.url
    assert ("board.viewer", "denied", path.split("?")[0][1:], "page not open to the role") in \
        [a[:4] for a in _log(site[1])]
    page.get_by_role("link", name="Data quality").click()   # the next page no longer says it
    expect(page.get_by_role("heading", name="Data quality")).to_be_visible()
    assert page.get_by_text("is not open to your role").count() == 0


def test__council_manager__another_council_in_the_url_gives_counts_not_people(site, page):
    signed_in(page, f"{site[0]}/threshold?authority={DERBY}", user="erewash")
    assert page.get_by_role("tab", name="By authority").get_attribute("aria-selected") == "true"
    tab = page.locator('.st-key-thr_analysis [role="tabpanel"]:visible')
    assert tab.locator('[data-testid="stDataFrame"]').is_visible()  # the counts, per authority
    assert page.get_by_text("Person-level lists are not available to you").is_visible()
    assert page.locator(".st-key-thr_worklist").count() == 0
    assert_not_blank(screenshot(page, "threshold_council_manager_other_council"))


def test__council_manager__the_downloaded_work_list_holds_their_authority_only_and_is_logged(site, page):
    signed_in(page, site[0] + "/threshold?thr_list=One+complaint+short", user="erewash")   # the list's tab
    assert page.get_by_role("tab", name="One complaint short").get_attribute("aria-selected") == "true"
    assert page.locator(".st-key-thr_worklist").count() == 1 and page.locator(".st-key-thr_queue").count() == 0
    button = page.get_by_role("button", name=re.compile(r"Download [\d,]+ rows? as CSV")).first
    rows_shown = int(re.search(r"Download ([\d,]+) rows?", button.inner_text()).group(1).replace(",", ""))
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == rows_shown > 0 and {r["authority_code"] for r in rows} == {EREWASH}
    assert not [v for r in rows for v in r.values() if v[:1] in ("=", "+", "-", "@")]
    page.wait_for_timeout(1000)
    exports = [a for a in _log(site[1]) if a[1] == "export"]
    assert exports[-1] == ("erewash.manager", "export", "threshold", download.suggested_filename, rows_shown)


def test__audit_page__the_opcc_analyst_reads_the_log_then_signs_out(site, page):
    signed_in(page, site[0] + "/threshold", user="opcc")
    signed_in(page, site[0] + "/audit", user="opcc")
    assert page.get_by_text("Hash chain intact", exact=False).is_visible()
    assert page.locator('[data-testid="stDataFrame"]').count() == 1
    assert_not_blank(screenshot(page, "audit"))
    actions = [a[:2] for a in _log(site[1])]
    assert ("opcc.analyst", "view") in actions and ("opcc.analyst", "sign_in") in actions
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for(timeout=30_000)
    # the signed-in page's elements linger (stale) until the sign-in page's run finishes
    expect(page.get_by_text(ui.ATTRIBUTION)).to_have_count(0, timeout=30_000)
    assert _log(site[1])[-1][:2] == ("opcc.analyst", "sign_out")


def test__overview__its_own_address_opens_it_without_page_not_found(site, page):
    """`/overview`, the Overview's address in PAGES beside `/maps` and `/threshold`, showed
    Streamlit's "Page not found" (the default page lives at the root; the sessions audit of 6
    December 2026): serve.py sends it to the root, its choices kept."""
    signed_in(page, site[0] + "/overview?authority=E07000036", user="opcc")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0
    assert "authority=E07000036" in page.url and "/overview" not in page.url
