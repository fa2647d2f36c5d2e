"""The record store's side of the master patient index: every Patient an upload writes (created or changed)
is handed to `mpi.matching` in the same transaction, so a resident's record and their link arrive together.

Whatever the pipeline (single create, Bundle, bulk NDJSON, WS 365 file), writes go through
`store.apply_changes`, which calls `link_written` — the one place uploads meet the MPI. Keys skipped as
over-full (a switchboard phone shared by thousands) are reported as warnings on the upload.
"""

import orjson
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weijian.core import crypto
from weijian.mpi.matching import Arrival, link_arrivals
from weijian.records.identity import CITIZEN_ID_SYSTEM, patient_system
from weijian.records.models import UploadIssue
from weijian.records.timeline import human_name

_GENDER = {"male": "1", "female": "2", "other": "9", "unknown": "0"}
_RULES = {"id": gettext_lazy("身份证号"), "ph": gettext_lazy("联系电话"), "nb": gettext_lazy("姓名拼音与出生日期"),
          "bd": gettext_lazy("出生日期与区县"), "nd": gettext_lazy("姓名拼音与区县")}


def _identifier(resource: dict, system: str) -> str:
    for identifier in resource.get("identifier") or ():
        if isinstance(identifier, dict) and identifier.get("system") == system \
                and isinstance(identifier.get("value"), str):
            value = identifier["value"]
            return crypto.decrypt(value) if value.startswith("v1$") else value
    return ""


def _phone(resource: dict) -> str:
    for telecom in resource.get("telecom") or ():
        if isinstance(telecom, dict) and telecom.get("system") in ("phone", "sms", None) and telecom.get("value"):
            return str(telecom["value"])
    return ""


def _address(resource: dict) -> str:
    for address in resource.get("address") or ():
        if not isinstance(address, dict):
            continue
        parts = [address.get(k) for k in ("state", "city", "district")]
        text = address.get("text") or "".join(address.get("line") or ())
        whole = "".join(p for p in parts if isinstance(p, str) and p and p not in str(text)) + str(text or "")
        if whole:
            return whole
    return ""


def demographics(resource: dict) -> dict:
    """A Patient's raw demographics, as the standardiser takes them (the citizen ID decrypted in memory)."""
    return {
        "name": human_name(resource),
        "sex": _GENDER.get(resource.get("gender"), ""),
        "birth_date": resource.get("birthDate") or "",
        "id_number": _identifier(resource, CITIZEN_ID_SYSTEM),
        "phone": _phone(resource),
        "address": _address(resource),
    }


def arrival(resource: dict, *, source_code: str, institution_id=None) -> Arrival:
    """The Patient as an MPI arrival: keyed by the source's local ID (its own identifier system), else its id."""
    local_id = _identifier(resource, patient_system(source_code)) or resource.get("id", "")
    return Arrival(source_code=source_code, local_id=local_id[:64], raw=demographics(resource),
                   institution_id=institution_id, patient_fhir_id=resource.get("id", ""))


def link_written(changes, outcomes, *, source, upload_id) -> None:
    """Match the Patients just written (created or changed) in the master patient index."""
    if source is None:
        return
    written = [(change, outcome) for change, outcome in zip(changes, outcomes, strict=True)
               if outcome.type == "Patient" and outcome.status in ("created", "updated")]
    if not written:
        return
    arrivals = [arrival(orjson.loads(outcome.content), source_code=source.code,
                        institution_id=source.institution_id) for _change, outcome in written]
    results = link_arrivals(arrivals, upload_id=upload_id)
    if upload_id is None:
        return
    issues = []
    for (change, outcome), capped in zip(written, results.capped, strict=True):
        if capped:
            rules = "、".join(str(_RULES.get(rule, rule)) for rule in capped)
            issues.append(UploadIssue(
                upload_id=upload_id, entry=change.entry, severity="warning", resource_type="Patient",
                fhir_id=outcome.fhir_id[:64],
                message=_("主索引匹配：%(rules)s被过多患者共用，未用于查找候选（已按上限跳过）") % {"rules": rules}))
    UploadIssue.objects.bulk_create(issues)
