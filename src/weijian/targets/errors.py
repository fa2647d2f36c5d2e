"""Target-assessment error codes (Chinese source strings in the translation catalogue)."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class TargetErrorCode(ErrorCode):
    PLAN_FROZEN = "plan_frozen", _("工作计划已冻结，不能再修改；如需调整，请新建一份计划")
    PLAN_NOT_FROZEN = "plan_not_frozen", _("工作计划冻结后才能计算考核结果")
    TITLE_REQUIRED = "title_required", _("请填写计划名称")
    TITLE_TAKEN = "title_taken", _("该年度已有同名工作计划")
    YEAR_INVALID = "year_invalid", _("年度无效")
    INDICATOR_UNKNOWN = "indicator_unknown", _("指标不存在")
    INDICATOR_TWICE = "indicator_twice", _("该指标已在计划中")
    WEIGHT_INVALID = "weight_invalid", _("权重应为大于0、不超过100的数字")
    WEIGHTS_NOT_100 = "weights_not_100", _("各指标权重之和须为100分")
    NO_ITEMS = "no_items", _("计划中还没有指标")
    NO_TARGETS = "no_targets", _("有指标尚未设置目标值")
    TARGET_INVALID = "target_invalid", _("目标值设置不合理")
    LEVEL_INVALID = "level_invalid", _("层级无效")
