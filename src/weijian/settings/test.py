import os

# pytest-xdist workers (make test runs two) each get their own data directory.
os.environ.setdefault("WEIJIAN_DATA_DIR", "/tmp/weijian-test" + os.environ.get("PYTEST_XDIST_WORKER", ""))
os.environ.setdefault("WEIJIAN_DATABASE_URL", "sqlite:///:memory:")
# Tests run with production checks on, so they carry their own (throwaway) secrets.
os.environ.setdefault("WEIJIAN_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("WEIJIAN_FIELD_KEYS", "t1:dGVzdC1maWVsZC1rZXkhIQ==")  # 16 bytes, SM4
os.environ.setdefault("WEIJIAN_BLIND_INDEX_KEY", "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMhISE=")

from weijian.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns when it is missing
