from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "weijian.api"
    label = "api"
