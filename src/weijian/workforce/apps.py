from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "weijian.workforce"
    label = "workforce"
    verbose_name = "卫生人员"

    def ready(self):
        from weijian.imports.registry import register
        from weijian.workforce.importers import WORKER_IMPORT

        register(WORKER_IMPORT)
