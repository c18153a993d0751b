"""Every column declared once: canonical input templates and warehouse tables.

The generic reader maps each source onto the canonical columns below; staging SQL casts them;
validation checks types, allowed values and keys; pages take labels and help text from here. A
closed list is declared with the words a person reads for each code (`*_LABELS`, in the list's
order; the codes are its keys), and so are the kinds of source and the build's reject reasons:
insight/labels.py shows these words wherever a table, a download or a chart would show the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB type in the warehouse
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    unit: str | None = None


AGENCIES = ("police", "council", "housing", "health", "other")
ASB_CATEGORIES = ("personal", "nuisance", "environmental")
VICTIM_TYPE_LABELS = {"individual": "Individual", "business": "Business", "community_group": "Community group"}
VICTIM_TYPES = tuple(VICTIM_TYPE_LABELS)
YES_NO = ("Y", "N")
ROUTE_LABELS = {"victim": "Victim", "community": "Community", "discretion": "Discretion"}
ROUTES = tuple(ROUTE_LABELS)
DECISION_LABELS = {"met": "Met", "not_met": "Not met", "withdrawn": "Withdrawn", "pending": "Pending"}
DECISIONS = tuple(DECISION_LABELS)
REVIEW_OUTCOME_LABELS = {"recommendations": "Recommendations", "no_further_action": "No further action",
                         "pending": "Pending"}
REVIEW_OUTCOMES = tuple(REVIEW_OUTCOME_LABELS)
APPELLANT_LABELS = {"victim": "Victim", "representative": "Representative", "group": "Group"}
APPELLANTS = tuple(APPELLANT_LABELS)
GROUNDS_LABELS = {"threshold_decision": "Threshold decision", "review_process": "Review process",
                  "action_plan_delivery": "Action plan delivery"}
GROUNDS = tuple(GROUNDS_LABELS)
APPEAL_OUTCOME_LABELS = {"upheld": "Upheld", "partially_upheld": "Partially upheld", "not_upheld": "Not upheld",
                         "withdrawn": "Withdrawn", "pending": "Pending"}
APPEAL_OUTCOMES = tuple(APPEAL_OUTCOME_LABELS)
DECIDED_APPEAL_OUTCOMES = APPEAL_OUTCOMES[:3]  # withdrawn and pending are not decisions
# What the OPCC case is: an appeal under the local procedure (Derbyshire's 2015 memorandum), or a
# statutory local policing body review (Crime and Policing Act 2026). Empty = appeal.
REVIEW_TYPE_LABELS = {"appeal": "Appeal (local procedure)", "pcc_review": "PCC review (2026 Act)"}
REVIEW_TYPES = tuple(REVIEW_TYPE_LABELS)
# The decision of the relevant bodies the case asks the OPCC to look at again. Empty = the one the
# grounds name (threshold_decision -> threshold_decision, review_process -> review_outcome,
# action_plan_delivery -> action_plan).
DECISION_REVIEWED_LABELS = {"threshold_decision": "Threshold decision", "review_outcome": "Review outcome",
                            "action_plan": "Action plan"}
DECISIONS_REVIEWED = tuple(DECISION_REVIEWED_LABELS)
# Where the OPCC referred the case back to the relevant bodies: what they then did.
REFERRAL_RESULT_LABELS = {"threshold_met": "Threshold then met", "action_plan_changed": "Action plan changed",
                          "no_change": "No change", "pending": "Awaiting the bodies"}
REFERRAL_RESULTS = tuple(REFERRAL_RESULT_LABELS)
# Action plans (the case review's recommendations, one row per action): who delivers each and what.
# The agencies are wider than the incident agencies: a plan often names fire, social care or schools.
ACTION_AGENCY_LABELS = {"police": "Police", "council": "Council", "housing": "Housing provider",
                        "health": "Health", "fire": "Fire and rescue", "social_care": "Social care",
                        "education": "Education", "probation": "Probation", "victim_services": "Victim services",
                        "other": "Other"}
ACTION_AGENCIES = tuple(ACTION_AGENCY_LABELS)
ACTION_TYPE_LABELS = {"mediation": "Mediation",
                      "warning_or_acceptable_behaviour_contract": "Warning or acceptable behaviour contract",
                      "injunction_or_order": "Injunction, order or closure",
                      "housing_action": "Housing action", "environmental_works": "Environmental works",
                      "support_referral": "Referral to support", "enforcement_patrols": "Patrols and enforcement",
                      "case_management": "Case management", "other": "Other"}
ACTION_TYPES = tuple(ACTION_TYPE_LABELS)
ACTION_STATUS_LABELS = {"open": "Open", "completed": "Completed", "cancelled": "Cancelled"}
ACTION_STATUSES = tuple(ACTION_STATUS_LABELS)

# Canonical input templates (DESIGN.md "Sources and the canonical input templates").
INPUTS: dict[str, tuple[Field, ...]] = {
    "incidents": (
        Field("incident_ref", "VARCHAR", "Reference of the report, unique within its source", True),
        Field("agency", "VARCHAR", "Agency that took the report", True, AGENCIES),
        Field("authority", "VARCHAR", "Authority (GSS code or name); the location decides where known"),
        Field("reported_date", "DATE", "Date the report was made", True),
        Field("occurred_date", "DATE", "Date the behaviour happened (defaults to reported)"),
        Field("asb_category", "VARCHAR", "Home Office ASB category", True, ASB_CATEGORIES),
        Field("asb_type", "VARCHAR", "Sub-type (noise, rowdy behaviour, ...)"),
        Field("latitude", "DOUBLE", "WGS84 latitude", unit="degrees"),
        Field("longitude", "DOUBLE", "WGS84 longitude", unit="degrees"),
        Field("easting", "DOUBLE", "British National Grid easting", unit="metres"),
        Field("northing", "DOUBLE", "British National Grid northing", unit="metres"),
        Field("postcode", "VARCHAR", "Postcode of the location"),
        Field("location_desc", "VARCHAR", "Free-text description of the place (not the reporter's address)"),
        Field("person_ref", "VARCHAR", "Shared reference of the reporting person; empty = anonymous"),
        Field("victim_type", "VARCHAR", "Who was affected", allowed=VICTIM_TYPES),
        Field("is_hate", "VARCHAR", "Hate incident (Y/N)", allowed=YES_NO),
        Field("case_ref", "VARCHAR", "Case the report belongs to"),
        Field("review_explained_date", "DATE",
              "When the agency explained the ASB Case Review to the person (2025 guidance; optional)"),
    ),
    "applications": (
        Field("application_ref", "VARCHAR", "Case review application reference", True),
        Field("authority", "VARCHAR", "Authority the application was made to", True),
        Field("person_ref", "VARCHAR", "The applicant, or the victim they act for"),
        Field("on_behalf", "VARCHAR", "Made on someone else's behalf", allowed=YES_NO),
        Field("consent_received", "VARCHAR", "Signed consent received", allowed=YES_NO),
        Field("received_date", "DATE", "Date the application was received", True),
        Field("acknowledged_date", "DATE", "Date it was acknowledged"),
        Field("threshold_route", "VARCHAR", "Route the application took", allowed=ROUTES),
        Field("decision", "VARCHAR", "Threshold decision", True, DECISIONS),
        Field("decision_date", "DATE", "Date of the threshold decision"),
        Field("decision_notified_date", "DATE", "Date the applicant was told the decision"),
        Field("review_date", "DATE", "Date of the case review meeting"),
        Field("outcome", "VARCHAR", "Outcome of the review", allowed=REVIEW_OUTCOMES),
        Field("recommendations_count", "INTEGER", "Recommendations made by the review"),
        Field("outcome_notified_date", "DATE", "Date the outcome and action plan were told"),
        Field("action_plan_closed_date", "DATE", "Date the action plan was delivered"),
        Field("independent_chair", "VARCHAR", "Review chaired independently", allowed=YES_NO),
        Field("victim_attended", "VARCHAR", "Victim attended the review", allowed=YES_NO),
    ),
    "appeals": (
        Field("appeal_ref", "VARCHAR", "OPCC appeal reference", True),
        Field("application_ref", "VARCHAR", "Application appealed against", True),
        Field("authority", "VARCHAR", "Authority of the application", True),
        Field("received_date", "DATE", "Date the OPCC received the appeal", True),
        Field("appellant", "VARCHAR", "Who appealed", allowed=APPELLANTS),
        Field("consent_letter", "VARCHAR", "Consent letter supplied", allowed=YES_NO),
        Field("grounds", "VARCHAR", "Grounds of the appeal", True, GROUNDS),
        Field("outcome", "VARCHAR", "Outcome of the appeal", True, APPEAL_OUTCOMES),
        Field("decision_date", "DATE", "Date the OPCC decided"),
        Field("review_type", "VARCHAR", "Appeal under the local procedure or statutory PCC review (empty = appeal)",
              allowed=REVIEW_TYPES),
        Field("decision_reviewed", "VARCHAR", "Decision of the relevant bodies reviewed (empty = the grounds')",
              allowed=DECISIONS_REVIEWED),
        Field("referred_back", "VARCHAR", "The OPCC referred the case back to the relevant bodies", allowed=YES_NO),
        Field("referral_result", "VARCHAR", "What the relevant bodies did after the referral back",
              allowed=REFERRAL_RESULTS),
        Field("referral_result_date", "DATE", "Date of the relevant bodies' new decision or changed plan"),
    ),
    "actions": (
        Field("action_ref", "VARCHAR", "Reference of one action of a case review's action plan", True),
        Field("application_ref", "VARCHAR", "Application whose review agreed the action", True),
        Field("authority", "VARCHAR", "Authority of the application (defaults to the application's)"),
        Field("agency", "VARCHAR", "Agency that delivers the action", True, ACTION_AGENCIES),
        Field("action_type", "VARCHAR", "What kind of action", True, ACTION_TYPES),
        Field("agreed_date", "DATE", "Date the action was agreed (usually the review meeting)", True),
        Field("due_date", "DATE", "Date the action is due (may lie after the as-of date)", True),
        Field("completed_date", "DATE", "Date the action was completed"),
        Field("status", "VARCHAR", "Status as recorded (blank: completed when completed_date is given, else open)",
              allowed=ACTION_STATUSES),
    ),
}

# The data.police.uk street-level CSV, as published (headers match these names ignoring case/spaces).
INPUTS["police_uk"] = (
    Field("crime_id", "VARCHAR", "Crime ID (empty for ASB; not unique)"),
    Field("month", "DATE", "Month of the report (YYYY-MM)", True),
    Field("reported_by", "VARCHAR", "Force that reported it"),
    Field("falls_within", "VARCHAR", "Force area"),
    Field("longitude", "DOUBLE", "Anonymised WGS84 longitude (snapped to a map point)", unit="degrees"),
    Field("latitude", "DOUBLE", "Anonymised WGS84 latitude (snapped to a map point)", unit="degrees"),
    Field("location", "VARCHAR", "Snap point description (\"On or near ...\")"),
    Field("lsoa_code", "VARCHAR", "LSOA code (2011 or 2021 vintage)"),
    Field("lsoa_name", "VARCHAR", "LSOA name (begins with the district's name)"),
    Field("crime_type", "VARCHAR", "Crime type; ASB rows are 'Anti-social behaviour'", True),
    Field("last_outcome_category", "VARCHAR", "Last outcome (crimes only)"),
    Field("context", "VARCHAR", "Context"),
)
POLICE_ASB_TYPE = "Anti-social behaviour"
KIND_LABELS = {"incidents": "Incidents", "applications": "Case review applications", "appeals": "Appeals",
               "police_uk": "police.uk", "actions": "Action plans"}

# Why the build refused a row (etl_rejects.reason_code; etl/transform/stage.py, locate.py, publish.py
# and build.py write them), in words; etl_rejects.reason says what exactly was wrong with the row.
REJECT_REASONS = {
    "missing_column": "Column missing from the file",
    "malformed_row": "Record not split into columns",
    "file_refused": "File refused as a whole",
    "missing_key": "Reference missing",
    "personal_key": "Reference holds personal data",
    "missing_value": "Required value missing",
    "bad_date": "Not a date",
    "future_date": "Date after the as-of date",
    "too_old_date": "Date before 2000",
    "bad_value": "Value not allowed",
    "unmapped_value": "ASB type not mapped",
    "unknown_authority": "Not a Derbyshire authority",
    "occurred_after_reported": "Happened after reported",
    "date_order": "Decided before received",
    "unplaceable": "Location not found",
    "outside_area": "Outside the nine districts",
    "duplicate_key": "Reference reused, other values",
    "unknown_application": "Application not loaded",
    "action_date_order": "Due or done before agreed",
    "action_status": "Status and completion disagree",
}

KEYS = {"incidents": "incident_ref", "applications": "application_ref", "appeals": "appeal_ref",
        "police_uk": None, "actions": "action_ref"}
# Columns whose values are people: replaced by a keyed hash at ingest, never stored as given.
PERSON_COLUMNS = ("person_ref",)
# Header words that mark personal data a partner export may carry; such columns are never read.
PERSONAL_HEADER_WORDS = ("name", "phone", "mobile", "tel", "email", "e-mail", "address", "dob", "birth")


def field(kind: str, name: str) -> Field:
    """The declaration of one canonical input column."""
    return next(f for f in INPUTS[kind] if f.name == name)


def date_fields(kind: str) -> list[str]:
    """Names of the canonical date columns of a kind."""
    return [f.name for f in INPUTS[kind] if f.type == "DATE"]
