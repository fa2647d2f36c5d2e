"""How resources are named on the platform: identifier systems and stable logical ids.

Pure functions, no database. Uploads that carry no FHIR ids (WS 365 dataset files) and the demo city
derive each resource's id from what identifies it at its source, so sending the same row twice names the
same resource (idempotent uploads), and the master patient index (next issue) can link a source's
patients without reshaping storage.
"""

import uuid

# 居民身份证号: the OID WS/T 500 (EMR sharing documents) uses for the citizen ID number.
CITIZEN_ID_SYSTEM = "urn:oid:2.16.156.10011.1.3"
# The platform's own naming systems (no national OID is assigned to these).
BASE = "http://weijian.local/fhir"
USCC_SYSTEM = f"{BASE}/sid/uscc"  # GB 32100 unified social credit code of an institution
WORKER_SYSTEM = f"{BASE}/sid/worker"  # a health worker's platform id

_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-5b7e-9a41-2f5e0c7d9b13")


def stable_id(resource_type: str, *parts: str) -> str:
    """A FHIR id (UUID, 36 characters) fixed by the resource type and what identifies it at its source."""
    return str(uuid.uuid5(_NAMESPACE, "|".join((resource_type, *parts))))


def organization_id(uscc: str) -> str:
    """The Organization resource of an institution is named by its credit code (valid FHIR id characters)."""
    return uscc.upper()


def patient_system(source_code: str) -> str:
    """The identifier system of a source's local patient ids (its record or archive numbers)."""
    return f"{BASE}/sid/source/{source_code}/patient"


def encounter_system(source_code: str) -> str:
    """The identifier system of a source's local visit / admission numbers."""
    return f"{BASE}/sid/source/{source_code}/encounter"


def source_of_patient_system(system: str) -> str:
    """The source code of a `patient_system(...)` URL, or "" when it is not one."""
    prefix, suffix = f"{BASE}/sid/source/", "/patient"
    if system.startswith(prefix) and system.endswith(suffix):
        return system[len(prefix):-len(suffix)]
    return ""
