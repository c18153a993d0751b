"""Per-authority Community Trigger rules with dated versions, from etl/rules/authorities.toml.

`versions()` flattens the file into complete rows, one per authority and effective date, each
valid from `effective_from` until the day before the next version (`effective_to`, exclusive).
The build stores them as `settings_rules`, so SQL picks the rule in force on any date.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.rules import authorities

DEFAULT_PATH = Path(__file__).resolve().with_name("authorities.toml")
ENV_VAR = "ASB_SETTINGS"
FAR_FUTURE = dt.date(9999, 12, 31)
INT_KEYS = ("victim_threshold", "window_months", "qualifying_report_months", "hate_threshold",
            "hate_window_months", "community_threshold", "community_h3_resolution", "sla_acknowledge_days",
            "sla_decision_days", "sla_decision_notice_days", "sla_review_days", "sla_outcome_days",
            "sla_appeal_window_days", "sla_appeal_decision_days", "sla_pcc_review_decision_days",
            "sla_explain_days", "retrigger_months")
# 0 would meet or count nothing (a community threshold of 0: every cluster of one reporter met)
AT_LEAST_ONE = ("victim_threshold", "window_months", "hate_window_months", "community_threshold")
BOOL_KEYS = ("community_route",)
# Text settings and the values each may take ("" for lead_agency: the agency with most complaints).
CHOICE_KEYS = {"related_by": ("any", "category", "case"),
               "lead_agency": ("", "police", "council", "housing", "health", "other")}
H3_RESOLUTIONS = (8, 9, 10)  # the cells every incident carries (incidents.h3_r8/9/10)
# ASB, Crime and Policing Act 2014 s.104: local procedures may set the number of complaints (its
# Explanatory Notes: no higher than three); s.104(11) fixes the one month and the six months.
STATUTE = {"victim_threshold": (3, "at most"), "window_months": (6, "exactly"),
           "qualifying_report_months": (1, "exactly")}


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the entry and key."""


@dataclass(frozen=True)
class Rules:
    path: Path
    table: pd.DataFrame  # one row per authority version: rule_id, authority_code, effective_from/to, ...

    @property
    def warnings(self) -> list[str]:
        """One line per rule version that departs from the statute (printed by every build)."""
        flagged = self.table[self.table.statute_note.notna()]
        return [f"{r.authority_code} rule {r.rule_id} (from {r.effective_from.isoformat()}): {r.statute_note}"
                for r in flagged.itertuples()]

    def later_than(self, as_of: dt.date) -> list[str]:
        """One line per rule version that takes effect after `as_of` (planned ahead, or a year
        typed wrong: 2062 for 2026): no figure of a build as of `as_of` uses it yet."""
        later = self.table[self.table.effective_from > as_of]
        return [f"rule {r.rule_id} ({authorities.NAME_BY_CODE.get(r.authority_code, r.authority_code)}) takes "
                f"effect on {r.effective_from.isoformat()}, after the as-of date {as_of.isoformat()}: no figure "
                "of this build uses it yet" for r in later.itertuples()]


def statute_note(version: dict) -> str | None:
    """Why a rule version departs from s.104 (a victim threshold above three, a window or
    qualifying period other than six months and one month), or None."""
    out = []
    for key, (limit, how) in STATUTE.items():
        value = version[key]
        if (how == "at most" and value > limit) or (how == "exactly" and value != limit):
            out.append(f"{key} = {value} (statute: {how} {limit})")
    return "; ".join(out) or None


def settings_path(path: Path | str | None = None) -> Path:
    """The settings file: the argument, else $ASB_SETTINGS, else etl/rules/authorities.toml."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)


def _check(entry: dict, where: str, defaults: dict | None) -> dict:
    known = set(INT_KEYS) | set(BOOL_KEYS) | set(CHOICE_KEYS) | {"effective_from", "authority"}
    unknown = set(entry) - known
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s) {sorted(unknown)}")
    out = dict(entry)
    for key in INT_KEYS:
        least = 1 if key in AT_LEAST_ONE else 0
        if key in out and (not isinstance(out[key], int) or isinstance(out[key], bool)):
            raise SettingsError(f"{where}: {key} must be a whole number of at least {least}, not {out[key]!r}")
        if key in out and out[key] < least:
            raise SettingsError(f"{where}: {key} must be {'at least 1' if least else 'a whole number of at least 0'}, "
                                f"not {out[key]}")
    for key in BOOL_KEYS:
        if key in out and not isinstance(out[key], bool):
            raise SettingsError(f"{where}: {key} must be true or false")
    for key, choices in CHOICE_KEYS.items():
        if key in out and out[key] not in choices:
            raise SettingsError(f"{where}: {key} must be one of {list(choices)}, not {out[key]!r}")
    if "community_h3_resolution" in out and out["community_h3_resolution"] not in H3_RESOLUTIONS:
        raise SettingsError(f"{where}: community_h3_resolution must be one of {list(H3_RESOLUTIONS)} "
                            f"(the H3 cells every incident carries), not {out['community_h3_resolution']}")
    if "effective_from" in out:
        try:
            out["effective_from"] = dt.date.fromisoformat(str(out["effective_from"]))
        except ValueError as exc:
            raise SettingsError(f"{where}: effective_from must be a date (YYYY-MM-DD)") from exc
    if defaults is None:
        missing = (set(INT_KEYS) | set(BOOL_KEYS) | set(CHOICE_KEYS) | {"effective_from"}) - set(out)
        if missing:
            raise SettingsError(f"{where}: [defaults] must set {sorted(missing)}")
    return out


PCC_LIMIT = "sla_pcc_review_decision_days"  # added with PCC reviews (issue 17): an older file lacks it


def load(path: Path | str | None = None) -> Rules:
    """Parse and validate the settings file into complete dated versions per authority."""
    path = settings_path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except IsADirectoryError:
        raise SettingsError(f"{path} is a folder, not a settings file") from None
    except FileNotFoundError:
        raise SettingsError(f"{path}: the settings file does not exist ([build] settings in sources.toml, else "
                            f"${ENV_VAR}, names it)") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    unknown = sorted(set(doc) - {"defaults", "rule"})
    if unknown:  # [[rules]] for [[rule]] would otherwise be dropped in silence
        raise SettingsError(f"{path}: unknown top-level key(s) or section(s) {unknown}: a settings file holds "
                            "a [defaults] table and [[rule]] tables")
    given = doc.get("defaults", {})
    if not isinstance(given, dict):
        raise SettingsError(f"{path}: defaults must be a [defaults] table, not {given!r}")
    entries = doc.get("rule", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SettingsError(f"{path}: rule must be [[rule]] tables, not {entries!r}")
    # settings added later default here, so an older settings file still loads
    later = {"hate_window_months": given.get("window_months", 6), "related_by": "any", "lead_agency": "",
             "sla_explain_days": 5,
             PCC_LIMIT: given.get("sla_appeal_decision_days", 20),
             "retrigger_months": 12}
    defaults = _check({**later, **given}, f"{path} [defaults]", None)
    rules: dict[str, list[dict]] = {a.code: [] for a in authorities.AUTHORITIES}
    dated: dict[tuple[str, dt.date], int] = {}   # (authority, effective_from) -> the rule's number
    for n, entry in enumerate(entries, 1):
        where = f"{path} [[rule]] #{n}"
        entry = _check(entry, where, defaults)
        code = authorities.resolve(str(entry.get("authority", "")))
        if "authority" not in entry:
            raise SettingsError(f"{where}: needs authority (one of the nine authorities, by name or GSS code)")
        if code is None:
            raise SettingsError(f"{where}: authority {entry['authority']!r} is not one of the nine Derbyshire "
                                "authorities (a name or GSS code)")
        if "effective_from" not in entry:
            raise SettingsError(f"{where}: needs effective_from (the date it applies from, YYYY-MM-DD)")
        if entry["effective_from"] < defaults["effective_from"]:
            raise SettingsError(f"{where}: effective_from {entry['effective_from'].isoformat()} is before the "
                                f"[defaults]' effective_from {defaults['effective_from'].isoformat()}: "
                                "date the defaults as early as the oldest rule")
        first = dated.setdefault((code, entry["effective_from"]), n)
        if first != n:  # one date, one rule: which of two would hold is not for the order of the file to say
            raise SettingsError(f"{path}: [[rule]] #{first} and #{n} are both for {code} from "
                                f"{entry['effective_from'].isoformat()}: merge them into one")
        rules[code].append(entry)
    rows = []
    for code, entries in rules.items():
        current = {**defaults}
        # a file from before PCC reviews: each version holds them to its own appeals' limit, until a
        # rule of the authority names theirs
        pcc_named = PCC_LIMIT in given
        versions = [(defaults["effective_from"], {})] + sorted(
            ((e["effective_from"], e) for e in entries), key=lambda pair: pair[0])
        for i, (start, entry) in enumerate(versions):
            current = {**current, **{k: v for k, v in entry.items() if k != "authority"}}
            pcc_named = pcc_named or PCC_LIMIT in entry
            if not pcc_named:
                current[PCC_LIMIT] = current["sla_appeal_decision_days"]
            end = versions[i + 1][0] if i + 1 < len(versions) else FAR_FUTURE
            if end == start:
                continue  # a rule on the defaults' own date replaces them
            rows.append({"rule_id": f"{code}@{start.isoformat()}", "authority_code": code,
                         **current, "effective_from": start, "effective_to": end,
                         "statute_note": statute_note(current)})
    return Rules(path, pd.DataFrame(rows))
