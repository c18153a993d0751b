"""The demo sources and their export layouts, declared as data: headers, date styles, value maps.

Each `Layout` says how one partner's system writes a file: which header carries which canonical
column (or a fake personal-data column the ETL must never read), date formats as declared in
sources.toml, value maps (canonical value -> value in the file), encoding, delimiter, line ending
and XLSX sheet. Each `SourceSpec` puts a layout in a folder with a file-naming rule and a reference
style. `toml_entry` turns a source into the `[[source]]` text etl/sources/config.py reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CATEGORY_PERSONAL = {"personal": "Personal (targeted)", "nuisance": "Nuisance",
                     "environmental": "Environmental"}
YES_NO_WORDS = {"Y": "Yes", "N": "No"}
VICTIM_WORDS = {"individual": "Individual", "business": "Business", "community_group": "Community Group"}
POLICE_TYPES = {"neighbour dispute": "Neighbour Dispute",
                "intimidation": "Intimidation/Harassment (Personal)",
                "harassment": "Harassment", "noise": "Noise Nuisance",
                "rowdy behaviour": "Rowdy/Inconsiderate Behaviour",
                "vehicle nuisance": "Vehicle Nuisance/Inappropriate Use", "drugs": "Drug Related",
                "begging": "Begging/Vagrancy", "fly-tipping": "Fly-tipping",
                "littering": "Littering/Drugs Paraphernalia", "graffiti": "Graffiti",
                "abandoned vehicle": "Abandoned Vehicle"}
COUNCIL_NAMES = ("Amber Valley Borough Council", "Bolsover District Council", "Chesterfield Borough Council",
                 "Derby City Council", "Derbyshire Dales District Council", "Erewash Borough Council",
                 "High Peak Borough Council", "North East Derbyshire District Council",
                 "South Derbyshire District Council")
POLICE_AREAS = ("Amber Valley", "Bolsover", "Chesterfield", "Derby City", "Derbyshire Dales", "Erewash",
                "High Peak", "NE Derbyshire", "South Derbyshire")
PERSONAL = {"_name", "_phone", "_email", "_address"}


@dataclass(frozen=True)
class Layout:
    name: str
    fields: tuple[tuple[str, str], ...]  # (header, canonical column or "_fake" column), file order
    date_format: str = "iso"
    date_formats: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # canonical column -> {canonical value: file value}
    constants: dict = field(default_factory=dict)
    encoding: str = "utf-8"  # utf-8 | utf-8-sig (BOM) | cp1252
    delimiter: str = ","
    crlf: bool = False
    sheet: str | None = None  # set for XLSX
    authority_style: str = "code"  # code | police_area | council | mixed
    postcode_style: str = "directory"  # directory ("DE564GP") | display ("DE56 4GP")
    serial_dates: bool = False  # XLSX dates as plain serial numbers, not date-formatted cells

    def header(self, column: str) -> str | None:
        return next((h for h, c in self.fields if c == column), None)

    def date_format_for(self, column: str) -> str:
        return self.date_formats.get(column, self.date_format)

    @property
    def personal_headers(self) -> tuple[str, ...]:
        return tuple(h for h, c in self.fields if c in PERSONAL)


def _canonical(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, n) for n in names)


CANON_INCIDENTS = Layout("canonical incidents", _canonical(
    "incident_ref", "agency", "authority", "reported_date", "occurred_date", "asb_category", "asb_type",
    "easting", "northing", "location_desc", "person_ref", "victim_type", "is_hate", "case_ref"))
DERBY = Layout(
    "Derby case system (semicolon, BOM, dd/mm/yyyy, BNG, personal data)",
    (("Case No", "incident_ref"), ("Date Reported", "reported_date"), ("Date of Incident", "occurred_date"),
     ("Category", "asb_category"), ("Incident Type", "asb_type"), ("Easting", "easting"),
     ("Northing", "northing"), ("Location", "location_desc"), ("ECINS Ref", "person_ref"),
     ("Victim", "victim_type"), ("Hate Related", "is_hate"), ("Case Review Explained", "review_explained_date"),
     ("Reporter Name", "_name"),
     ("Contact Phone", "_phone"), ("Email", "_email"), ("Home Address", "_address")),
    date_format="%d/%m/%Y", encoding="utf-8-sig", delimiter=";", constants={"agency": "council"},
    values={"asb_category": CATEGORY_PERSONAL, "victim_type": VICTIM_WORDS, "is_hate": YES_NO_WORDS})
NORTHGATE = Layout(
    "shared-service export (Windows-1252, CRLF, dd-Mon-yy, lat/lon, personal data)",
    (("Ref", "incident_ref"), ("Logged", "reported_date"), ("Occurred", "occurred_date"),
     ("Type Group", "asb_category"), ("ASB Type", "asb_type"), ("Lat", "latitude"), ("Long", "longitude"),
     ("Location Description", "location_desc"), ("Partnership Ref", "person_ref"),
     ("Victim Type", "victim_type"), ("Hate", "is_hate"), ("Case", "case_ref"),
     ("Complainant Name", "_name"), ("Tel No", "_phone"),
     ("E-mail", "_email"), ("Address", "_address")),
    date_format="%d-%b-%y", encoding="cp1252", crlf=True, constants={"agency": "council"},
    values={"asb_category": {"personal": "PERSONAL", "nuisance": "NUISANCE",
                             "environmental": "ENVIRONMENTAL"},
            "victim_type": {"individual": "I", "business": "B", "community_group": "C"}})
UNIFORM = Layout(
    "council CRM export (ISO timestamps, postcode)",
    (("Reference", "incident_ref"), ("Received", "reported_date"), ("Incident Date", "occurred_date"),
     ("Category", "asb_category"), ("Sub Type", "asb_type"), ("Postcode", "postcode"),
     ("Where", "location_desc"), ("Customer Ref", "person_ref"), ("Affected", "victim_type"),
     ("Hate Crime/Incident", "is_hate"), ("CT Explained", "review_explained_date"),
     ("Status", "_status")),
    date_format="%Y-%m-%d %H:%M", date_formats={"occurred_date": "iso", "review_explained_date": "iso"},
    constants={"agency": "council"})
POLICE = Layout(
    "police case-system export (dd/mm/yyyy hh:mm, lat/lon, policing area)",
    (("Incident No", "incident_ref"), ("Created", "reported_date"), ("Occurred From", "occurred_date"),
     ("Policing Area", "authority"), ("Classification", "asb_category"), ("Incident Type", "asb_type"),
     ("Latitude", "latitude"), ("Longitude", "longitude"), ("Location", "location_desc"),
     ("ECINS Ref", "person_ref"), ("Victim Type", "victim_type"), ("Hate Flag", "is_hate"),
     ("Disposal", "_disposal")),
    date_format="%d/%m/%Y %H:%M", date_formats={"occurred_date": "%d/%m/%Y"}, constants={"agency": "police"},
    authority_style="police_area",
    values={"asb_category": {"personal": "ASB Personal", "nuisance": "ASB Nuisance",
                             "environmental": "ASB Environmental"},
            "asb_type": POLICE_TYPES, "victim_type": VICTIM_WORDS, "is_hate": {"Y": "TRUE", "N": "FALSE"}})
HOUSING = Layout(
    "housing provider workbook (XLSX date cells, council names, postcode, personal data)",
    (("Case Reference", "incident_ref"), ("Local Authority", "authority"), ("Date Opened", "reported_date"),
     ("Incident Date", "occurred_date"), ("ASB Category", "asb_category"), ("ASB Type", "asb_type"),
     ("Postcode", "postcode"), ("Location Details", "location_desc"), ("ECINS Reference", "person_ref"),
     ("Victim Type", "victim_type"), ("Hate Incident", "is_hate"),
     ("Case Review Explained", "review_explained_date"), ("Tenant Name", "_name"),
     ("Contact Phone", "_phone"), ("Email", "_email"), ("Home Address", "_address")),
    date_format="excel", sheet="ASB Cases", authority_style="council", postcode_style="display",
    constants={"agency": "housing"},
    values={"asb_category": {"personal": "Personal (targeted)", "nuisance": "Nuisance (community)",
                             "environmental": "Environmental (public space)"},
            "victim_type": VICTIM_WORDS, "is_hate": YES_NO_WORDS})
CANON_APPLICATIONS = Layout("canonical applications", _canonical(
    "application_ref", "authority", "person_ref", "on_behalf", "consent_received", "received_date",
    "acknowledged_date", "threshold_route", "decision", "decision_date", "decision_notified_date",
    "review_date", "outcome", "recommendations_count", "outcome_notified_date", "action_plan_closed_date",
    "independent_chair", "victim_attended"))
CHESTERFIELD_APPS = Layout(
    "council case-review log (BOM, dd/mm/yyyy, worded values)",
    (("CT Ref", "application_ref"), ("Applicant ECINS", "person_ref"), ("On Behalf Of Victim", "on_behalf"),
     ("Consent Form", "consent_received"), ("Date Received", "received_date"),
     ("Date Acknowledged", "acknowledged_date"), ("Route", "threshold_route"),
     ("Threshold Decision", "decision"),
     ("Decision Date", "decision_date"), ("Applicant Informed", "decision_notified_date"),
     ("Review Meeting", "review_date"), ("Review Outcome", "outcome"),
     ("No. of Recommendations", "recommendations_count"), ("Outcome Letter Sent", "outcome_notified_date"),
     ("Action Plan Completed", "action_plan_closed_date"), ("Independent Chair", "independent_chair"),
     ("Victim Attended", "victim_attended")),
    date_format="%d/%m/%Y", encoding="utf-8-sig",
    values={"on_behalf": YES_NO_WORDS, "consent_received": YES_NO_WORDS, "independent_chair": YES_NO_WORDS,
            "victim_attended": YES_NO_WORDS,
            "threshold_route": {"victim": "Victim", "community": "Community", "discretion": "Discretionary"},
            "decision": {"met": "Threshold met", "not_met": "Threshold not met", "withdrawn": "Withdrawn",
                         "pending": "Awaiting decision"},
            "outcome": {"recommendations": "Recommendations made", "no_further_action": "No further action",
                        "pending": "Awaiting review"}})
DISTRICT_APPS = Layout(
    "districts' shared case-review register (XLSX, Excel serial numbers, council names)",
    (("Council", "authority"), ("Reference", "application_ref"), ("Person Ref", "person_ref"),
     ("On behalf", "on_behalf"), ("Consent", "consent_received"), ("Received", "received_date"),
     ("Acknowledged", "acknowledged_date"), ("Route", "threshold_route"), ("Decision", "decision"),
     ("Decision Date", "decision_date"), ("Decision Letter", "decision_notified_date"),
     ("Review Date", "review_date"), ("Outcome", "outcome"), ("Recommendations", "recommendations_count"),
     ("Outcome Letter", "outcome_notified_date"), ("Action Plan Closed", "action_plan_closed_date"),
     ("Independent Chair", "independent_chair"), ("Victim Attended", "victim_attended")),
    date_format="excel", sheet="Case Reviews", authority_style="council", serial_dates=True,
    values={"decision": {"met": "Met", "not_met": "Not met", "withdrawn": "Withdrawn", "pending": "Pending"},
            "outcome": {"recommendations": "Recommendations", "no_further_action": "No further action",
                        "pending": "Pending"}})
OPCC_APPEALS = Layout(
    "OPCC appeals register (dd/mm/yyyy, names or codes, worded values)",
    (("Appeal No", "appeal_ref"), ("CT Reference", "application_ref"), ("Authority", "authority"),
     ("Date Received", "received_date"), ("Appellant", "appellant"), ("Appellant Name", "_name"),
     ("Consent Letter", "consent_letter"), ("Grounds", "grounds"), ("Outcome", "outcome"),
     ("Date of Decision", "decision_date"), ("Case Type", "review_type"), ("Referred Back", "referred_back"),
     ("Result After Referral", "referral_result"), ("Date of Result", "referral_result_date")),
    date_format="%d/%m/%Y", authority_style="mixed",
    values={"appellant": {"victim": "Victim", "representative": "Representative", "group": "Group"},
            "consent_letter": YES_NO_WORDS,
            "grounds": {"threshold_decision": "Threshold decision", "review_process": "Review process",
                        "action_plan_delivery": "Action plan delivery"},
            "outcome": {"upheld": "Upheld - referred back", "partially_upheld": "Partially upheld",
                        "not_upheld": "Not upheld", "withdrawn": "Withdrawn", "pending": "Open"},
            "review_type": {"appeal": "Appeal", "pcc_review": "PCC review (statutory)"},
            "referred_back": YES_NO_WORDS,
            "referral_result": {"threshold_met": "Threshold met", "action_plan_changed": "Plan changed",
                                "no_change": "No change", "pending": "Awaited"}})

CANON_ACTIONS = Layout("canonical action plans", _canonical(
    "action_ref", "application_ref", "authority", "agency", "action_type", "agreed_date", "due_date",
    "completed_date", "status"))


@dataclass(frozen=True)
class SourceSpec:
    slug: str
    kind: str
    layout: Layout
    folder: str
    file: str  # name pattern: {yyyy}, {mm} for split files
    split: str = "year"  # year | month | none
    authority: str | None = None  # GSS code when one file covers one authority
    agency: int | None = None  # demo_incidents agency index, for incident sources
    ref: tuple[str, int] = ("", 6)  # reference prefix pattern ({yy}, {yyyy}, {mm}, {dd}) and digits
    ref_reset: str = "year"  # the sequence restarts every year or day
    case_prefix: str = ""

    @property
    def is_xlsx(self) -> bool:
        return self.layout.sheet is not None


_A = ("E07000032", "E07000033", "E07000034", "E06000015", "E07000035", "E07000036", "E07000037",
      "E07000038", "E07000039")
SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("amber_valley_council", "incidents", CANON_INCIDENTS, "amber_valley",
               "asb_incidents_{yyyy}.csv", authority=_A[0], agency=1, ref=("AV-{yyyy}-", 5),
               case_prefix="AVC-"),
    SourceSpec("bolsover_council", "incidents", NORTHGATE, "bolsover", "ASB_Export_{yyyy}.csv",
               authority=_A[1], agency=1, ref=("BDC{yy}", 6), case_prefix="BDC/C/"),
    SourceSpec("chesterfield_council", "incidents", NORTHGATE, "chesterfield", "ASB_Export_{yyyy}.csv",
               authority=_A[2], agency=1, ref=("CBC{yy}", 6), case_prefix="CBC/C/"),
    SourceSpec("derby_council", "incidents", DERBY, "derby", "derby_asb_cases_{yyyy}.csv",
               authority=_A[3], agency=1, ref=("DCC/ASB/{yy}/", 6)),
    SourceSpec("derbyshire_dales_council", "incidents", UNIFORM, "derbyshire_dales", "asb_{yyyy}.csv",
               authority=_A[4], agency=1, ref=("DDDC-ASB-{yyyy}-", 5)),
    SourceSpec("erewash_council", "incidents", UNIFORM, "erewash", "asb_{yyyy}.csv",
               authority=_A[5], agency=1, ref=("EBC-ASB-{yyyy}-", 5)),
    SourceSpec("high_peak_council", "incidents", UNIFORM, "high_peak", "asb_{yyyy}.csv",
               authority=_A[6], agency=1, ref=("HPBC-ASB-{yyyy}-", 5)),
    SourceSpec("north_east_derbyshire_council", "incidents", NORTHGATE, "ne_derbyshire",
               "ASB_Export_{yyyy}.csv", authority=_A[7], agency=1, ref=("NED{yy}", 6), case_prefix="NED/C/"),
    SourceSpec("south_derbyshire_council", "incidents", CANON_INCIDENTS, "south_derbyshire",
               "asb_incidents_{yyyy}.csv", authority=_A[8], agency=1, ref=("SD-{yyyy}-", 5),
               case_prefix="SDC-"),
    SourceSpec("derbyshire_police", "incidents", POLICE, "police", "derbyshire_police_asb_{yyyy}-{mm}.csv",
               split="month", agency=0, ref=("INC-{yyyy}{mm}{dd}-", 5), ref_reset="day"),
    SourceSpec("trent_peak_homes", "incidents", HOUSING, "trent_peak_homes", "TPH_ASB_cases_{yyyy}.xlsx",
               agency=2, ref=("TPH-{yy}-", 6)),
    SourceSpec("derby_case_reviews", "applications", CANON_APPLICATIONS, "derby_case_reviews",
               "case_reviews.csv", split="none", authority=_A[3]),
    SourceSpec("chesterfield_case_reviews", "applications", CHESTERFIELD_APPS, "chesterfield_case_reviews",
               "Community Trigger log.csv", split="none", authority=_A[2]),
    SourceSpec("district_case_reviews", "applications", DISTRICT_APPS, "district_case_reviews",
               "ASB case review register.xlsx", split="none"),
    SourceSpec("opcc_appeals", "appeals", OPCC_APPEALS, "opcc", "appeals_register.csv", split="none"),
    SourceSpec("action_plans", "actions", CANON_ACTIONS, "action_plans", "action_plans.csv", split="none"),
)


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def toml_entry(spec: SourceSpec) -> str:
    """The [[source]] block for one source, exactly in the etl/sources/config.py format."""
    lay = spec.layout
    lines = ["[[source]]", f"slug = {_toml(spec.slug)}", f"kind = {_toml(spec.kind)}",
             f"path = {_toml(spec.folder + '/*' + spec.file[spec.file.rindex('.'):])}"]
    if spec.authority:
        lines.append(f"authority = {_toml(spec.authority)}")
    if lay.encoding == "cp1252":
        lines.append('encoding = "cp1252"')
    if lay.delimiter != ",":
        lines.append(f"delimiter = {_toml(lay.delimiter)}")
    if lay.sheet:
        lines.append(f"sheet = {_toml(lay.sheet)}")
    if lay.date_format != "iso":
        lines.append(f"date_format = {_toml(lay.date_format)}")
    sections = [("date_formats", lay.date_formats),
                ("columns", {c: h for h, c in lay.fields if not c.startswith("_") and h != c}),
                ("constants", lay.constants)]
    sections += [(f"values.{col}", {v: k for k, v in m.items()}) for col, m in lay.values.items()]
    for name, table in sections:
        if table:
            lines.append(f"[source.{name}]")
            lines += [f"{_toml(k)} = {_toml(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
