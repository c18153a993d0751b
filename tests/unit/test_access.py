"""Roles, the page and query classification, the users file, passwords and session tokens.

Plain functions, no Streamlit: what each role may see (insight/access/roles.py) and how a sign-in becomes
a viewer (insight/access/auth.py). The pages themselves, signed in as each role, are in
tests/pages/test_access_pages.py; the browser in tests/browser/test_browser_access.py.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import itsdangerous
import pytest

import insight.queries
from etl.rules import authorities
from insight import cli
from insight.access import auth
from insight.access import roles as access
from insight.access import users_cli as auth_cli
from insight.queries import threshold as qt

ROOT = Path(__file__).resolve().parents[2]
EREWASH, DERBY, BOLSOVER = "E07000036", "E06000015", "E07000033"
OPCC = access.Viewer("opcc.analyst", access.OPCC_ANALYST)
EREWASH_MANAGER = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)
ISSUER = "https://login.example.org/v2.0"


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    oidc = auth.Account("oidc.manager", access.COUNCIL_MANAGER, BOLSOVER, "O", email="pat@bolsover.example",
                        subject="sub-123", issuer=ISSUER)
    return auth.write_accounts(path, [*auth.demo_accounts(fast=True), oidc])


# --- roles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer, selected, expected", [
    (OPCC, (EREWASH, DERBY), (EREWASH, DERBY)),
    (OPCC, authorities.CODES, authorities.CODES),
    (EREWASH_MANAGER, authorities.CODES, (EREWASH,)),
    (EREWASH_MANAGER, (DERBY, BOLSOVER), ()),
    (BOARD, authorities.CODES, ()),
    (None, authorities.CODES, ()),
])
def test__person_level_codes__the_selection_narrowed_to_the_role(viewer, selected, expected):
    assert access.person_level_codes(viewer, selected) == expected


@pytest.mark.parametrize("viewer, codes, allowed", [
    (OPCC, authorities.CODES, True), (OPCC, access.ALL_AUTHORITIES, True),
    (EREWASH_MANAGER, (EREWASH,), True), (EREWASH_MANAGER, (EREWASH, DERBY), False),
    (EREWASH_MANAGER, access.ALL_AUTHORITIES, False), (BOARD, (EREWASH,), False),
    (BOARD, access.ALL_AUTHORITIES, False), (None, (), False),
])
def test__check_codes__refuses_any_authority_outside_the_role(viewer, codes, allowed):
    if allowed:
        access.check_codes(viewer, codes)
    else:
        with pytest.raises(access.AccessDenied):
            access.check_codes(viewer, codes)


def test__requested_codes__reads_the_person_codes_argument_by_name():
    day = dt.date(2026, 1, 1)
    assert access.requested_codes(qt.near_miss_work_list, (day, (DERBY,)), {}) == (DERBY,)
    assert access.requested_codes(qt.near_miss_work_list, (day,), {"person_codes": [EREWASH]}) == (EREWASH,)
    assert access.requested_codes(qt.summary, (day, (DERBY,)), {}) is None  # aggregate
    assert not access.may_load(EREWASH_MANAGER, qt.person_complaints, day, (DERBY,), DERBY, "p_1")
    assert access.may_load(EREWASH_MANAGER, qt.person_complaints, day, (EREWASH,), EREWASH, "p_1")


@pytest.mark.parametrize("kwargs", [
    {"role": "admin"}, {"role": access.COUNCIL_MANAGER}, {"role": access.BOARD_VIEWER, "authority_code": EREWASH},
    {"role": access.COUNCIL_MANAGER, "authority_code": "E99999999"},
])
def test__viewer__refuses_an_inconsistent_role(kwargs):
    with pytest.raises(ValueError):
        access.Viewer("x", **kwargs)


# --- the classification is complete --------------------------------------------------------------

def _dashboard_url_paths() -> list[str]:
    return re.findall(r'url_path="([^"]+)"', (ROOT / "dashboard.py").read_text())


def test__pages__every_page_of_the_dashboard_is_classified():
    paths = _dashboard_url_paths()
    assert {"overview", "threshold", "maps", "audit"} <= set(paths)
    assert [p for p in paths if p not in access.PAGES] == []


def test__pages__the_landing_page_is_aggregate_and_the_audit_page_opcc_only():
    assert access.page_rule("").roles == access.EVERY_ROLE and not access.page_rule("").person_level
    assert access.page_rule("audit").roles == {access.OPCC_ANALYST}
    assert not access.may_open(BOARD, "threshold") and access.may_open(EREWASH_MANAGER, "threshold")
    assert access.page_rule("some_new_page").roles == access.OPCC_ONLY  # unclassified: fail closed
    assert not access.may_open(None, "")


def _named_queries():
    for info in pkgutil.iter_modules(insight.queries.__path__):
        if info.name not in ("run", "measures"):
            module = importlib.import_module(f"insight.queries.{info.name}")
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ == module.__name__ and not name.startswith("_"):
                    yield f"{module.__name__}.{name}", function


def _takes_connection(function) -> bool:
    return next(iter(inspect.signature(function).parameters), None) == "con"


def test__queries__every_named_query_is_classified_in_one_table_and_every_entry_is_a_query():
    """Every public function of insight/queries/* that takes the connection is person-level, a
    protected aggregate or open in roles.QUERIES; a new query fails here until it is classified."""
    queries = {name for name, f in _named_queries() if _takes_connection(f)}
    assert len(queries) > 40
    assert sorted(queries - set(access.QUERIES)) == []
    assert sorted(set(access.QUERIES) - queries) == []
    kinds = {type(rule).__name__ for rule in access.QUERIES.values()}
    assert kinds == {"PersonLevel", "Aggregate", "Open"}


def test__queries__an_unclassified_query_is_for_the_opcc_analyst_only():
    def unlisted(con, codes):
        return None
    unlisted.__module__ = "insight.queries.maps"
    assert access.requested_codes(unlisted, ((DERBY,),), {}) == access.ALL_AUTHORITIES
    assert access.may_load(OPCC, unlisted, (DERBY,))
    assert not access.may_load(EREWASH_MANAGER, unlisted, (EREWASH,)) and not access.may_load(BOARD, unlisted, ())


def test__person_level_queries__every_query_taking_person_codes_is_registered_and_back():
    taking = {name for name, f in _named_queries() if "person_codes" in inspect.signature(f).parameters}
    registered = {n for n, arg in access.PERSON_LEVEL_QUERIES.items() if arg == "person_codes"}
    assert taking == registered
    known = {name for name, _ in _named_queries()}
    assert set(access.PERSON_LEVEL_QUERIES) <= known


# --- the users file and passwords ----------------------------------------------------------------

@pytest.mark.parametrize("short", list(auth.DEMO_USERS))
def test__authenticate__each_demo_user_with_their_password(users_file, short):
    user_id, password, role, code, _ = auth.DEMO_USERS[short]
    account = auth.authenticate(users_file, user_id, password)
    assert account is not None and account.viewer() == access.Viewer(user_id, role, code, account.name)
    assert auth.authenticate(users_file, user_id, password + "x") is None


def test__authenticate__unknown_user_or_user_without_password_fails(users_file):
    assert auth.authenticate(users_file, "nobody", "demo-opcc") is None
    assert auth.authenticate(users_file, "oidc.manager", "") is None
    assert auth.authenticate(users_file, "oidc.manager", "no such user") is None


def test__users_file__holds_argon2id_hashes_not_passwords(users_file):
    text = users_file.read_text()
    assert text.count("$argon2id$") == len(auth.DEMO_USERS)
    assert not [p for _, p, *_ in auth.DEMO_USERS.values() if p in text]
    assert users_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("content, message", [
    ('[[user]]\nid = "a"\nrole = "king"\n', "unknown role"),
    ('[[user]]\nid = "a"\nrole = "council_manager"\n', "needs an authority"),
    ('[[user]]\nid = "a"\nrole = "council_manager"\nauthority = "Gotham"\n', "not one of the nine"),
    ('[[user]]\nid = "a"\nrole = "board_viewer"\n[[user]]\nid = "a"\nrole = "board_viewer"\n', "twice"),
    ("[[user]\n", "not valid TOML"),
])
def test__load_accounts__refuses_a_bad_users_file(tmp_path, content, message):
    path = tmp_path / "users.toml"
    path.write_text(content)
    with pytest.raises(auth.UsersFileError, match=message):
        auth.load_accounts(path)


def test__load_accounts__missing_file_is_an_error(tmp_path):
    with pytest.raises(auth.UsersFileError, match="no users file"):
        auth.load_accounts(tmp_path / "absent.toml")


# --- tokens and OpenID Connect claims ------------------------------------------------------------

def test__token__names_the_user_and_resolves_the_role_from_the_file(users_file):
    token = auth.issue_token("erewash.manager")
    viewer = auth.viewer_for_token(users_file, token)
    assert (viewer.user_id, viewer.role, viewer.authority_code) == ("erewash.manager", access.COUNCIL_MANAGER,
                                                                    EREWASH)
    assert "council_manager" not in token and EREWASH not in token


def test__token__forged_tampered_or_foreign_tokens_give_no_viewer(users_file):
    good = auth.issue_token("board.viewer")
    foreign = itsdangerous.URLSafeTimedSerializer("another secret", salt="asb-dashboard-session")
    for token in [None, "", "opcc.analyst", {"user": "opcc.analyst"}, good[:-2] + "xx",
                  good.replace(good.split(".")[0], auth.issue_token("opcc.analyst").split(".")[0]),
                  foreign.dumps({"user": "opcc.analyst"}), auth.issue_token("oidc.manager"),
                  auth.issue_token("nobody")]:
        assert auth.viewer_for_token(users_file, token) is None, token


def test__token__expires(users_file, monkeypatch):
    token = auth.issue_token("opcc.analyst")
    monkeypatch.setattr(auth, "TOKEN_MAX_AGE_SECONDS", -1)
    assert auth.viewer_for_token(users_file, token) is None


@pytest.mark.parametrize("claims, expected", [
    ({"iss": ISSUER, "sub": "sub-123"}, "oidc.manager"),
    ({"iss": ISSUER, "sub": "other", "email": "PAT@bolsover.example", "email_verified": True}, "oidc.manager"),
    ({"iss": ISSUER, "sub": "other", "email": "PAT@bolsover.example"}, None),  # email_verified missing
    ({"iss": ISSUER, "sub": "other", "email": "pat@bolsover.example", "email_verified": False}, None),
    ({"iss": ISSUER, "sub": "other", "email": "someone@else.example", "email_verified": True}, None),
    ({"sub": "sub-123"}, None),  # no issuer
    ({}, None),
])
def test__account_for_claims__by_issuer_and_subject_else_verified_email(users_file, claims, expected):
    account = auth.account_for_claims(users_file, claims)
    assert (account.user_id if account else None) == expected


# --- asb users -----------------------------------------------------------------------------------

def test__asb_users__demo_then_add_an_openid_connect_user(tmp_path, capsys):
    path = tmp_path / "users.toml"
    assert cli.main(["users", "--file", str(path), "--demo"]) == 0
    assert set(auth.load_accounts(path)) == {u[0] for u in auth.DEMO_USERS.values()}
    assert cli.main(["users", "--file", str(path), "--demo"]) == 0  # left as it is
    assert cli.main(["users", "--file", str(path), "--add", "pat", "--role", "council_manager",
                     "--authority", "Bolsover", "--issuer", ISSUER, "--email", "Pat@Bolsover.example",
                     "--no-password"]) == 0
    assert auth.account_for_claims(path, {"iss": ISSUER, "email": "pat@bolsover.example",
                                          "email_verified": True}).authority_code == BOLSOVER
    assert cli.main(["users", "--file", str(path), "--add", "pat", "--no-password"]) == 2
    assert cli.main(["users", "--file", str(path), "--add", "x", "--role", "council_manager",
                     "--issuer", ISSUER, "--subject", "x1", "--no-password"]) == 2
    assert "needs an authority" in capsys.readouterr().err


def test__asb_users__add_with_a_password_from_the_prompt(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    answers = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr(auth_cli.getpass, "getpass", lambda prompt: next(answers))
    assert cli.main(["users", "--file", str(path), "--add", "ana", "--role", "opcc_analyst"]) == 0
    assert auth.authenticate(path, "ana", "a long enough password").role == access.OPCC_ANALYST


@pytest.mark.parametrize("user_id", ["", "   "])
def test__asb_users__an_empty_id_is_refused_and_the_file_stays_usable(tmp_path, capsys, user_id):
    path = tmp_path / "users.toml"
    assert cli.main(["users", "--file", str(path), "--demo"]) == 0
    assert cli.main(["users", "--file", str(path), "--add", user_id, "--role", "opcc_analyst", "--no-password"]) == 2
    assert "user id is empty" in capsys.readouterr().err
    assert set(auth.load_accounts(path)) == {u[0] for u in auth.DEMO_USERS.values()}


def test__asb_users__an_id_is_kept_without_its_surrounding_spaces(tmp_path):
    path = tmp_path / "users.toml"
    assert cli.main(["users", "--file", str(path), "--add", "  kim  ", "--role", "opcc_analyst", "--issuer", ISSUER,
                     "--subject", "k1", "--no-password"]) == 0
    assert set(auth.load_accounts(path)) == {"kim"}


def test__asb_users__no_terminal_for_the_password_is_one_error_line(tmp_path, monkeypatch, capsys):
    """Run from a script with no terminal (getpass reads end-of-file): said in words, nothing written;
    and a council manager without an authority is refused before the password is asked for."""
    path = tmp_path / "users.toml"

    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr(auth_cli.getpass, "getpass", no_terminal)
    assert cli.main(["users", "--file", str(path), "--add", "ana", "--role", "opcc_analyst"]) == 2
    assert "no password was typed" in capsys.readouterr().err and not path.exists()
    asked = []
    monkeypatch.setattr(auth_cli.getpass, "getpass", lambda prompt: asked.append(prompt) or "x" * 20)
    assert cli.main(["users", "--file", str(path), "--add", "bo", "--role", "council_manager"]) == 2
    assert "needs an authority" in capsys.readouterr().err and asked == []


def test__readme__documents_the_demo_users_and_every_page_s_classification():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Roles, sign-in and audit")[1].split("\n## ")[0]
    for user_id, password, *_ in auth.DEMO_USERS.values():
        assert f"| `{user_id}` | `{password}` |" in section
    titles = re.findall(r'st\.Page\([^)]*?title="([^"]+)"', (ROOT / "dashboard.py").read_text(), re.S)
    assert len(titles) >= 5
    assert [t for t in titles if f"\n| {t}" not in section] == []


def test__near_repeats__the_number_of_incidents_tested_is_a_count_under_the_rule():
    """The near-repeat test's `points` (incidents with day-level dates) and `month_only_excluded`
    are counts of incidents: a board viewer who chose one authority and a month holding 1 to 4
    read them in the caption while the Overview hid the same figure (a red-team audit, 6 December
    2026)."""
    import pandas as pd

    from insight.queries import maps as qm

    table = pd.DataFrame({"spatial_band": ["[0,100)", "[0,100)"], "temporal_band": ["[0,7)", "[7,14)"],
                          "observed": [0, 0], "ratio": [None, None], "p_value": [1.0, 1.0],
                          "points": [3, 3], "month_only_excluded": [2, 2]})
    args = ((EREWASH,), dt.date(2026, 9, 1), dt.date(2026, 9, 30), (0.0, 100.0), (0, 7, 14), 99)
    shown = access.shown(BOARD, qm.near_repeats, args, {}, table)
    assert shown["points"].isna().all() and shown["month_only_excluded"].isna().all()
    assert access.shown(EREWASH_MANAGER, qm.near_repeats, args, {}, table)["points"].tolist() == [3, 3]


@pytest.mark.parametrize("name, larger, smaller", [
    ("threshold.summary", "met_people", "met_without_application_people"),
    ("threshold.summary", "near_miss_people", "hate_near_miss_people"),
    ("appeals.summary", "pending_now", "overdue"),
    ("actions.summary", "open_now", "overdue_now"),
])
def test__nested_counts__their_difference_is_a_count_under_the_rule(name, larger, smaller):
    """People at the threshold include those at it who never applied: 9 and 8 tell that 1 applied
    (a red-team audit, 6 December 2026, read Derbyshire Dales' one so). A difference of 1 to 4
    between nested counts of a row hides one of them."""
    import pandas as pd

    module, function = name.split(".")
    query = getattr(importlib.import_module(f"insight.queries.{module}"), function)
    rule = access.rule_of(query)
    assert (larger, smaller) in rule.differences.values()
    frame = pd.DataFrame({"authority_code": ["E07000035", "E07000032", None], larger: [9, 20, 29],
                          smaller: [8, 6, 14]})
    kwargs = {name: (("E07000035", "E07000032") if name == rule.codes else dt.date(2026, 9, 30))
              for name, p in list(inspect.signature(query).parameters.items())[1:] if p.default is p.empty}
    if rule.period:
        kwargs[rule.period[0]] = dt.date(2026, 6, 1)
    shown = access.shown_as(BOARD.role, (), query, (), kwargs, frame)
    first = shown.iloc[0]
    assert pd.isna(first[larger]) or pd.isna(first[smaller]), shown
