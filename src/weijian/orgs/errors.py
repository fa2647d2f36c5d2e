from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class OrgsErrorCode(ErrorCode):
    USCC_INVALID = "uscc_invalid", _("统一社会信用代码无效")
    USCC_TAKEN = "uscc_taken", _("该统一社会信用代码已登记")
    DIVISION_NOT_FOUND = "division_not_found", _("行政区划代码不存在")
    DIVISION_OUT_OF_SCOPE = "division_out_of_scope", _("该行政区划不在您的管辖范围内")
    DIVISION_NOT_IN_DISTRICT = "division_not_in_district", _("机构应属于区县或乡镇（街道）级区划")
    DIVISION_CODE_INVALID = "division_code_invalid", _("区划代码应为6位（乡镇为9位）数字")
    DIVISION_CODE_TAKEN = "division_code_taken", _("该区划代码已存在")
    DIVISION_PARENT_INVALID = "division_parent_invalid", _("上级区划与级别不匹配")
    DIVISION_IN_USE = "division_in_use", _("该区划下仍有下级区划或机构，不能删除")
    CHOICE_INVALID = "choice_invalid", _("取值不在允许范围内")
    NAME_REQUIRED = "name_required", _("名称不能为空")
