from django.apps import AppConfig


class MpiConfig(AppConfig):
    name = "weijian.mpi"
    label = "mpi"
    verbose_name = "主索引与居民健康卡"
