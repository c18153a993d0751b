"""Action plans and re-triggers: what happened after a case review made its recommendations.

A case review with recommendations ends in an action plan; the partners deliver its actions (the
`actions` source kind, one row per action, etl/schema.py). Two marts, registered in
etl/marts/registry.py and built with the case review marts as of the build's as-of date (and
evaluated live for any other date, like the turnaround marts):

- `mart_actions`: one row per action agreed by the as-of date, under its application's authority,
  with its state on that date (`ACTION_STATES`) and the working days overdue, late or left.
- `mart_retriggers`: one row per case review held by the as-of date, and whether the person applied
  again or met the threshold again within `retrigger_months` of its outcome (a per-authority,
  dated setting in etl/rules/authorities.toml, 12 by default): a sign the plan did not end the ASB.

Choices where the guidance is silent: a cancelled action is cancelled whatever the as-of date
(partners record no cancellation date) and counts in no delivery figure; an action due on the as-of
date is not yet overdue; re-triggers look at the same authority only (a person's application to
another authority is that authority's case, and its reference is not shown to this one's staff).
"""

from __future__ import annotations

# The state of an action on the as-of date (mart_actions.state), in words, in the order pages show them.
ACTION_STATES = {
    "overdue": "Overdue",
    "pending": "Not yet due",
    "completed_late": "Completed late",
    "completed_on_time": "Completed on time",
    "cancelled": "Cancelled",
}
# How a review was re-triggered (mart_retriggers.retrigger_kind).
RETRIGGER_KINDS = {
    "application": "Applied again",
    "threshold": "Met the threshold again",
    "both": "Applied and met the threshold again",
}
