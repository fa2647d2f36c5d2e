from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class WorkforceErrorCode(ErrorCode):
    ID_NUMBER_INVALID = "id_number_invalid", _("身份证号无效")
    ID_NUMBER_TAKEN = "id_number_taken", _("该身份证号已登记")
    BIRTH_DATE_MISMATCH = "birth_date_mismatch", _("出生日期与身份证号不一致")
    SEX_MISMATCH = "sex_mismatch", _("性别与身份证号不一致")
    INSTITUTION_OUT_OF_SCOPE = "institution_out_of_scope", _("机构不存在或不在您的管辖范围内")
    INSTITUTION_CLOSED = "institution_closed", _("机构已停用，不能新增人员")
    NAME_REQUIRED = "name_required", _("姓名不能为空")
    NAME_TOO_LONG = "name_too_long", _("姓名不能超过64个字符")
    CHOICE_INVALID = "choice_invalid", _("取值不在允许范围内")
    PRACTISING_BEFORE_BIRTH = "practising_before_birth", _("执业起始日期早于出生日期")
    PRACTISING_IN_FUTURE = "practising_in_future", _("执业起始日期不能晚于今天")
    LICENCE_INVALID = "licence_invalid", _("执业证书编码应为不超过32位的字母或数字")
    LICENCE_TAKEN = "licence_taken", _("该执业证书编码已登记给其他人员")
