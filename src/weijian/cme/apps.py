from django.apps import AppConfig


class CmeConfig(AppConfig):
    name = "weijian.cme"
    label = "cme"
    verbose_name = "继续医学教育"
