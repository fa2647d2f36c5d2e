from django.apps import AppConfig


class DqConfig(AppConfig):
    name = "weijian.dq"
    label = "dq"
    # what target assessment may pick (`core.indicators`; read by `targets.registry`)
    assessment_indicators = "weijian.dq.indicators.ASSESSMENT"
    verbose_name = "数据质量控制"
