"""Resident health card (居民健康卡) error codes, with Chinese messages.

Codes are stable (API clients and tests check them); messages are for people. Messages with
placeholders are filled by the service that raises them (`BusinessError(code, message % {...})`).
"""

from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class CardErrorCode(ErrorCode):
    # card numbers (card_numbers.py)
    NUMBER_REQUIRED = "card_number_required", _("请输入居民健康卡卡号")
    NUMBER_FORMAT = "card_number_format", _("居民健康卡卡号应为19位数字")
    NUMBER_REGION = "card_number_region", _("卡号前6位应为区县级行政区划代码（GB/T 2260）")
    NUMBER_CHECK_DIGIT = "card_number_check_digit", _("卡号校验位不正确，请核对卡号是否输错")
    NUMBER_REGION_MISMATCH = "card_number_region_mismatch", _(
        "卡号前6位（%(region)s）应为发卡机构所在区县的代码（%(district)s）")
    NUMBER_TAKEN = "card_number_taken", _("该卡号已被使用，请换一张卡或留空由系统生成卡号")
    # the card and its holder
    NOT_FOUND = "card_not_found", _("未找到该卡号对应的居民健康卡")
    PERSON_NOT_FOUND = "card_person_not_found", _("未找到该主索引号对应的居民")
    PERSON_MERGED = "card_person_merged", _("该主索引已并入主索引 %(empi)s，请为该主索引办理")
    ALREADY_ACTIVE = "card_already_active", _(
        "该居民已有一张正常使用的居民健康卡（尾号 %(tail)s），一人只能持有一张有效卡；如原卡遗失或损坏，请办理挂失或补换卡")
    # status changes
    REASON_REQUIRED = "reason_required", _("请填写理由（至少4个字）")
    TRANSITION = "card_status_transition", _("该卡当前状态为“%(status)s”，不能%(action)s")
    # using a card: a refusal names the card's status
    CARD_LOST = "card_lost", _("该卡已挂失，不能使用；请持卡人办理补卡")
    CARD_REPLACED = "card_replaced", _("该卡已补换为新卡，旧卡不能再使用；请持卡人使用新卡")
    CARD_REVOKED = "card_revoked", _("该卡已注销，不能使用")
    CARD_EXPIRED = "card_expired", _("该卡已超过有效期（%(date)s），请持卡人办理换卡")
    PURPOSE_INVALID = "card_purpose_invalid", _("用卡场景无效")
    # where and by whom
    INSTITUTION_REQUIRED = "card_institution_required", _("请选择发卡机构")
    INSTITUTION_OUT_OF_SCOPE = "card_institution_out_of_scope", _("发卡机构不在您的管辖范围内")
    INSTITUTION_INACTIVE = "card_institution_inactive", _("发卡机构已停用，不能发卡")
    NO_INSTITUTION = "card_no_institution", _("您的账户未关联机构，不能在窗口发卡或刷卡")
    SOURCE_SUSPENDED = "card_source_suspended", _("该数据来源已暂停，不能使用居民健康卡接口")
    PILOT_NOT_CONFIGURED = "card_pilot_not_configured", _(
        "居民健康卡试点范围尚未设置，暂不能发卡或刷卡；请联系委信息中心开通试点")
    NOT_IN_PILOT = "card_not_in_pilot", _("“%(institution)s”不在居民健康卡试点范围内，不能发卡或刷卡")
    # dates
    ISSUE_DATE_FUTURE = "card_issue_date_future", _("发卡日期不能晚于今天")
    EXPIRY_BEFORE_ISSUE = "card_expiry_before_issue", _("有效期须晚于发卡日期")
    EXPIRY_PAST = "card_expiry_past", _("有效期已过，不能按此有效期发卡")
    PILOT_TARGET_UNKNOWN = "card_pilot_target_unknown", _("试点范围中有不存在或已停用的区县或机构")
