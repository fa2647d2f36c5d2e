from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "weijian.research"
    label = "research"
    # what target assessment may pick (`core.indicators`; read by `targets.registry`)
    assessment_indicators = "weijian.research.indicators.ASSESSMENT"
    verbose_name = "科研项目管理"
