from django.apps import AppConfig


class CmeConfig(AppConfig):
    name = "weijian.cme"
    label = "cme"
    verbose_name = "继续医学教育"

    def ready(self):
        from weijian.cme.importers import SPECS
        from weijian.imports.registry import register

        for spec in SPECS:
            register(spec)
