"""Sign-out and the idle timeout hold across a server restart and between server processes
(probe 2, problem 3).

With $ASB_SESSION_SECRET set (README, production step 3), a token outlives its server process:
the browser's cookie holds it for up to 12 hours. Ended tokens and the last run of each sign-in
are kept in `sessions.sqlite` beside the audit log (owner-only, shared by every process), so a
restarted or second process (`auth.Sessions()` again) refuses a token that was signed out or left
idle, and a token with no record signed more than the idle timeout ago is refused.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import itsdangerous
import pytest

from insight.access import audit, auth
from insight.access import roles as access

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A shared session secret, a users file and an audit log of the test's own."""
    monkeypatch.setenv(auth.SECRET_ENV, "a-shared-secret-for-every-process-0123456789")
    monkeypatch.setenv(audit.AUDIT_ENV, str(tmp_path / "audit.sqlite"))
    users = auth.write_accounts(tmp_path / "users.toml", [
        auth.Account("erewash.manager", access.COUNCIL_MANAGER, "E07000036", "Evan",
                     auth.hash_password("a long password here", fast=True))])
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    auth._serializer.cache_clear()
    monkeypatch.setattr(auth, "SESSIONS", auth.Sessions())
    yield users
    auth._serializer.cache_clear()


def _restart(monkeypatch) -> None:
    """A new server process (or another one behind the same proxy): nothing in memory."""
    monkeypatch.setattr(auth, "SESSIONS", auth.Sessions())


def _token_signed_ago(seconds: float, user: str = "erewash.manager") -> str:
    class Earlier(itsdangerous.TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds)
    return itsdangerous.URLSafeTimedSerializer(os.environ[auth.SECRET_ENV], salt=auth._SALT,
                                               signer=Earlier).dumps({"user": user, "demo": False, "n": "cd"})


def test__sign_out__holds_after_a_restart(env, monkeypatch):
    token = auth.issue_token("erewash.manager")
    assert auth.viewer_for_token(env, token) is not None
    auth.end_session(token)
    assert auth.viewer_for_token(env, token) is None
    _restart(monkeypatch)
    assert auth.viewer_for_token(env, token) is None
    assert auth.token_ended(token) == "signed_out"
    other = auth.issue_token("erewash.manager")  # a new sign-in lives
    assert auth.viewer_for_token(env, other) is not None


def _runs(token: str, signed_ago: float, *runs_ago: float) -> None:
    """Runs of the app with `token` (signed `signed_ago` seconds ago), `runs_ago` seconds ago each."""
    now = time.time()
    for ago in runs_ago:
        assert auth.SESSIONS.ended(auth._session_key("token", token), now - signed_ago, now=now - ago) is None


def test__idle__holds_after_a_restart(env, monkeypatch):
    token = _token_signed_ago(9000)
    _runs(token, 9000, 9000, 9000 - 1500)  # signed in 2.5 hours ago, the last run 25 minutes after
    assert auth.viewer_for_token(env, token) is None  # idle two hours, same process
    _restart(monkeypatch)
    assert auth.viewer_for_token(env, token) is None
    assert auth.token_ended(token) == "idle"


def test__a_token_with_no_record__refused_once_older_than_the_idle_timeout(env):
    assert auth.viewer_for_token(env, _token_signed_ago(auth.IDLE_TIMEOUT_SECONDS + 120)) is None
    assert auth.token_ended(_token_signed_ago(auth.IDLE_TIMEOUT_SECONDS + 120)) == "idle"
    assert auth.viewer_for_token(env, _token_signed_ago(60)) is not None  # signed a minute ago: fine


def test__a_live_session__keeps_going_after_a_restart(env, monkeypatch):
    token = _token_signed_ago(3000)
    _runs(token, 3000, 3000, 1500, 60)  # signed in 50 minutes ago, runs since, the last a minute ago
    _restart(monkeypatch)
    assert auth.viewer_for_token(env, token) is not None


def test__sign_out__reaches_another_process(env, tmp_path):
    """A sign-out in this process ends the token in a separate Python process sharing the store."""
    token = auth.issue_token("erewash.manager")
    assert auth.viewer_for_token(env, token) is not None
    code = ("import sys; from pathlib import Path; from insight.access import auth; "
            "v = auth.viewer_for_token(Path(sys.argv[1]), sys.argv[2]); print('live' if v else 'refused')")

    def other() -> str:
        result = subprocess.run([sys.executable, "-c", code, str(env), token], capture_output=True, text=True,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip()

    assert other() == "live"
    auth.end_session(token)
    assert other() == "refused"


def test__store__owner_only_beside_the_audit_log(env, tmp_path):
    auth.viewer_for_token(env, auth.issue_token("erewash.manager"))
    store = tmp_path / "sessions.sqlite"
    assert store.exists() and stat.S_IMODE(store.stat().st_mode) == 0o600
    assert auth.issue_token("erewash.manager") not in store.read_bytes().decode("latin-1")  # hashes only


def test__sign_in__stays_fast(env):
    started = time.perf_counter()
    for _ in range(50):
        token = auth.issue_token("erewash.manager")
        assert auth.viewer_for_token(env, token) is not None
        for _ in range(5):  # a run asks for the viewer several times
            assert auth.viewer_for_token(env, token) is not None
    assert time.perf_counter() - started < 5.0
