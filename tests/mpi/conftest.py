"""Fixtures shared with the record tests: two registered sources."""

from tests.records.conftest import record_sources  # noqa: F401 - the fixture
