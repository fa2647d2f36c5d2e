"""Data-quality error codes (Chinese source strings in the translation catalogue)."""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class DqErrorCode(ErrorCode):
    RULE_INVALID = "rule_invalid", _("规则无法使用")
    CODE_TAKEN = "code_taken", _("规则代码已存在")
    NAME_REQUIRED = "name_required", _("请填写规则名称")
    TICKET_STATE = "ticket_state", _("整改单当前状态不允许此操作")
    NOTE_REQUIRED = "note_required", _("请填写处理说明")
