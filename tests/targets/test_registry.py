"""The registry finds what every app declares, through the app configs alone."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from weijian.cme import indicators as cme_indicators
from weijian.core.indicators import AssessmentIndicator
from weijian.research import indicators as research_indicators
from weijian.targets.registry import all_indicators, get_indicator


def test_every_declaring_app_is_picked_up():
    declaring = [c for c in apps.get_app_configs() if getattr(c, "assessment_indicators", "")]
    assert {c.label for c in declaring} >= {"cme", "research"}
    registry = all_indicators()
    for config in declaring:
        for indicator in import_string(config.assessment_indicators):
            assert registry[indicator.code] is indicator
    expected = {i.code for i in (*cme_indicators.ASSESSMENT, *research_indicators.ASSESSMENT)}
    assert expected <= set(registry)
    assert get_indicator("cme-spot-check-rate").domain == "cme"
    assert get_indicator("no-such-indicator") is None


def test_the_same_code_twice_is_refused(monkeypatch):
    config = apps.get_app_config("research")
    monkeypatch.setattr(config, "assessment_indicators", "weijian.cme.indicators.ASSESSMENT")
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        all_indicators()


def test_declarations_are_complete():
    for indicator in all_indicators().values():
        assert isinstance(indicator, AssessmentIndicator)
        assert indicator.kind in ("rate", "count") and indicator.direction in ("higher", "lower")
        assert indicator.level in ("institution", "district") and str(indicator.name)
