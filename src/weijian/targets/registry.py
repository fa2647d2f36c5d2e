"""Every assessment indicator of every installed app, found through the app configs.

An app offers indicators by naming a sequence of `core.indicators.AssessmentIndicator` in its config's
`assessment_indicators` (a dotted path). Nothing registers itself at import time and no signal is
involved: this module asks Django's app registry, so what an app declares is what a work plan can pick.
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from weijian.core.indicators import AssessmentIndicator


def all_indicators() -> dict[str, AssessmentIndicator]:
    """code -> indicator, in app order and then in each app's own order."""
    found: dict[str, AssessmentIndicator] = {}
    for config in apps.get_app_configs():
        path = getattr(config, "assessment_indicators", "")
        if not path:
            continue
        for indicator in import_string(path):
            if not isinstance(indicator, AssessmentIndicator):
                raise ImproperlyConfigured(f"{path}: {indicator!r} is not an AssessmentIndicator")
            if indicator.code in found:
                raise ImproperlyConfigured(f"indicator code {indicator.code} declared twice ({path})")
            found[indicator.code] = indicator
    return found


def get_indicator(code: str) -> AssessmentIndicator | None:
    return all_indicators().get(code)
