"""Fixtures for the import tests: files built in memory, and the page login helper."""

import pytest

from tests.pages.conftest import login  # noqa: F401 - the page tests' login fixture, reused here


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Each test stores uploads and reports in its own directory."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
