from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "weijian.core"
    label = "core"

    def ready(self):
        from weijian.core import checks  # noqa: F401 - registers system checks
