from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "weijian.targets"
    label = "targets"
    verbose_name = "工作要点与目标考核"
