"""Data-quality control in the demo city: the default rules, and one run over the stored health records
(so the scorecards and the tickets have something to show). Skipped when a run exists already."""

from weijian.dq import services
from weijian.dq.models import DqRun


def generate_quality(*, actor) -> DqRun | None:
    services.seed_default_rules(actor=actor)
    if DqRun.objects.exists():
        return None
    return services.run_checks(actor=actor)
