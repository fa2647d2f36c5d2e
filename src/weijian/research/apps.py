from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "weijian.research"
    label = "research"
    verbose_name = "科研项目管理"
