"""The only reader of WEIJIAN_* environment variables.

Everything configurable is read here once, typed, and given a safe default for the
zero-setup demo (SQLite, local keys). Production must set the secrets explicitly;
`weijian.core.checks` refuses to start with demo secrets when DEBUG is off.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in _str(name, default).split(",") if item.strip()]


DEMO_SECRET = "weijian-demo-secret-not-for-production"  # noqa: S105 - the demo marker itself

DEBUG = _bool("WEIJIAN_DEBUG", False)
SECRET_KEY = _str("WEIJIAN_SECRET_KEY", DEMO_SECRET)
ALLOWED_HOSTS = _list("WEIJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
DATA_DIR = Path(_str("WEIJIAN_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = _str("WEIJIAN_DATABASE_URL", f"sqlite:///{DATA_DIR / 'weijian.sqlite3'}")

# Field encryption: comma-separated "keyid:base64key" pairs, the first one encrypts,
# all of them decrypt (key rotation). Blind index key: one base64 key.
FIELD_KEYS = _str("WEIJIAN_FIELD_KEYS", "")
BLIND_INDEX_KEY = _str("WEIJIAN_BLIND_INDEX_KEY", "")
FIELD_CIPHER = _str("WEIJIAN_FIELD_CIPHER", "SM4-GCM")  # or AES-GCM
BLIND_INDEX_HASH = _str("WEIJIAN_BLIND_INDEX_HASH", "HMAC-SM3")  # or HMAC-SHA256

# Tasks: "database" (default, no extra server) or "redis" (RQ workers on WEIJIAN_REDIS_URL).
TASK_BACKEND = _str("WEIJIAN_TASK_BACKEND", "database")
REDIS_URL = _str("WEIJIAN_REDIS_URL", "redis://127.0.0.1:6379/0")

SESSION_IDLE_SECONDS = _int("WEIJIAN_SESSION_IDLE_SECONDS", 30 * 60)
PASSWORD_MAX_AGE_DAYS = _int("WEIJIAN_PASSWORD_MAX_AGE_DAYS", 90)
LOGIN_MAX_FAILURES = _int("WEIJIAN_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = _int("WEIJIAN_LOGIN_LOCK_MINUTES", 15)
IMPORT_MAX_BYTES = _int("WEIJIAN_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
FHIR_MAX_BODY_BYTES = _int("WEIJIAN_FHIR_MAX_BODY_BYTES", 16 * 1024 * 1024)  # larger loads go through bulk NDJSON
FHIR_CODE_CHECK = _str("WEIJIAN_FHIR_CODE_CHECK", "error")  # unknown codes of a known code system: error or warning
RECORDS_BULK_MAX_BYTES = _int("WEIJIAN_RECORDS_BULK_MAX_BYTES", 4 * 1024 ** 3)  # all files of one NDJSON upload
RECORDS_BULK_CHUNK = _int("WEIJIAN_RECORDS_BULK_CHUNK", 5_000)  # NDJSON lines per chunk (one transaction)
# Checker processes of an NDJSON import; 0 checks in the job's own process; unset: processors, at most 4.
RECORDS_BULK_WORKERS = _int("WEIJIAN_RECORDS_BULK_WORKERS", min(4, os.cpu_count() or 1))
# Demo mode relaxes nothing about scopes; it only lets demo users skip the TOTP enrolment.
DEMO_MODE = _bool("WEIJIAN_DEMO_MODE", False)
SECURE_COOKIES = _bool("WEIJIAN_SECURE_COOKIES", False)
# Only behind a reverse proxy that sets X-Real-IP itself; otherwise clients could forge the audited address.
TRUST_X_REAL_IP = _bool("WEIJIAN_TRUST_X_REAL_IP", False)
