from django.apps import AppConfig


class TerminologyConfig(AppConfig):
    name = "weijian.terminology"
    label = "terminology"
    verbose_name = "术语与字典管理"
