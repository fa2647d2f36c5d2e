from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "weijian.api"
    label = "api"

    def ready(self):
        # Registers the bearer-token scheme with drf-spectacular before any schema is built.
        from weijian.api import schema  # noqa: F401
