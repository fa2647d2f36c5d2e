from django.apps import AppConfig


class CmeConfig(AppConfig):
    name = "weijian.cme"
    label = "cme"
    # what target assessment may pick (`core.indicators`; read by `targets.registry`)
    assessment_indicators = "weijian.cme.indicators.ASSESSMENT"
    verbose_name = "继续医学教育"

    def ready(self):
        from weijian.cme.importers import SPECS
        from weijian.imports.registry import register

        for spec in SPECS:
            register(spec)
