from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "weijian.web"
    label = "web"
