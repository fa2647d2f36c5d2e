"""The rule set the platform starts from: completeness of core elements, validity of codes and ranges,
consistency, timeliness (24 h for encounters), uniqueness and outliers. The information centre edits its
own copy; these are the defaults and the benchmark's rules."""

from weijian.dq.elements import ELEMENTS
from weijian.dq.engine import RuleSpec
from weijian.dq.expressions import parse_rule

_TYPES = {code: element.kind for code, element in ELEMENTS.items()}

DEFAULT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("patient-gender-present", "completeness", "Patient", element="patient.gender"),
    RuleSpec("patient-birth-present", "completeness", "Patient", element="patient.birthDate"),
    RuleSpec("patient-name-present", "completeness", "Patient", element="patient.name"),
    RuleSpec("patient-gender-valid", "validity", "Patient", element="patient.gender",
             values=("male", "female", "other", "unknown")),
    RuleSpec("patient-phone-format", "validity", "Patient", element="patient.phone",
             pattern=r"(1[3-9]\d{9})|(0\d{2,3}-?\d{7,8})"),
    RuleSpec("encounter-start-present", "completeness", "Encounter", element="encounter.start"),
    RuleSpec("encounter-class-valid", "validity", "Encounter", element="encounter.class",
             values=("AMB", "IMP", "EMER", "HH", "VR")),
    RuleSpec("encounter-end-after-start", "consistency", "Encounter",
             expression=parse_rule("#{encounter.end}", ">=", "#{encounter.start}", _TYPES)),
    RuleSpec("encounter-within-24h", "timeliness", "Encounter", element="encounter.start", limit_hours=24),
    RuleSpec("encounter-unique", "uniqueness", "Encounter", keys=("encounter.subject", "encounter.start",
                                                                  "encounter.class")),
    RuleSpec("observation-code-present", "completeness", "Observation", element="observation.code"),
    RuleSpec("observation-status-valid", "validity", "Observation", element="observation.status",
             values=("registered", "preliminary", "final", "amended", "corrected", "cancelled")),
    RuleSpec("bp-diastolic-below-systolic", "consistency", "Observation",
             expression=parse_rule("#{observation.diastolic}", "<", "#{observation.systolic}", _TYPES)),
    RuleSpec("bp-systolic-range", "validity", "Observation", element="observation.systolic", low=50, high=260),
    RuleSpec("observation-within-24h", "timeliness", "Observation", element="observation.effective",
             limit_hours=24),
    RuleSpec("observation-value-outlier", "outlier", "Observation", element="observation.value",
             method="modified_z"),
    RuleSpec("bp-systolic-outlier", "outlier", "Observation", element="observation.systolic", method="z"),
)
