from django.apps import AppConfig


class DqConfig(AppConfig):
    name = "weijian.dq"
    label = "dq"
    verbose_name = "数据质量控制"
