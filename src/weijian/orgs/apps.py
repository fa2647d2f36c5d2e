from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "weijian.orgs"
    label = "orgs"
    verbose_name = "机构注册"

    def ready(self):
        from weijian.imports.registry import register
        from weijian.orgs.importers import DIVISION_IMPORT, INSTITUTION_IMPORT

        register(DIVISION_IMPORT)
        register(INSTITUTION_IMPORT)
