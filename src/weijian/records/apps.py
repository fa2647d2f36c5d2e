from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "weijian.records"
    label = "records"
    verbose_name = "健康档案与病历"
