"""Master-patient-index error codes, with Chinese messages."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class MpiErrorCode(ErrorCode):
    REASON_REQUIRED = "reason_required", _("请填写理由（至少4个字）")
    PERSON_INACTIVE = "person_inactive", _("该主索引已并入其他主索引，不能再操作")
    SAME_PERSON = "same_person", _("不能把主索引与自身合并")
    LAST_IDENTITY = "last_identity", _("该主索引只有这一个来源身份，无需拆分")
    NOT_MERGED = "not_merged", _("该主索引没有被合并，无法撤销合并")
