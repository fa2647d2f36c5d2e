"""Master-patient-index error codes, with Chinese messages."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class MpiErrorCode(ErrorCode):
    REASON_REQUIRED = "reason_required", _("请填写理由（至少4个字）")
    PERSON_INACTIVE = "person_inactive", _("该主索引已并入其他主索引，不能再操作")
    SAME_PERSON = "same_person", _("不能把主索引与自身合并")
    LAST_IDENTITY = "last_identity", _("该主索引只有这一个来源身份，无需拆分")
    NOT_MERGED = "not_merged", _("该主索引没有被合并，无法撤销合并")
    REVIEW_CLOSED = "review_closed", _("该疑似匹配已处理，请刷新页面")
    NOTHING_SELECTED = "nothing_selected", _("请至少选择一条疑似匹配")
    MATCH_RESOURCE_REQUIRED = "match_resource_required", _("$match 需要一个名为 resource 的 Patient 参数")
    PIX_IDENTIFIER_INVALID = "pix_identifier_invalid", _(
        "sourceIdentifier 应为“标识系统|标识值”，标识系统为数据来源的患者标识系统或居民身份证号系统")
    PIX_NOT_FOUND = "pix_not_found", _("主索引中没有这个标识")
    MODEL_ALREADY_ACTIVE = "model_already_active", _("该模型已在使用中")
