from django.utils.translation import gettext_lazy as _

from weijian.core.errors import ErrorCode


class AccountsErrorCode(ErrorCode):
    USERNAME_TAKEN = "username_taken", _("用户名已存在")
    ROLE_ANCHOR_MISSING = "role_anchor_missing", _("该角色须指定所属区县、机构或对应人员")
    TOTP_INVALID = "totp_invalid", _("动态验证码错误")
    PASSWORD_INVALID = "password_invalid", _("密码不符合要求")
    PASSWORD_WRONG = "password_wrong", _("原密码错误")
    CANNOT_CHANGE_SELF = "cannot_change_self", _("不能修改自己的角色")
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self", _("不能停用自己的账户")
    CANNOT_RESET_SELF = "cannot_reset_self", _("不能重置自己的密码，请使用“修改密码”")
    ID_NUMBER_INVALID = "id_number_invalid", _("身份证号无效")
    WORKER_NOT_FOUND = "worker_not_found", _("未找到该身份证号对应的卫生人员")
    WORKER_TAKEN = "worker_taken", _("该卫生人员已绑定其他账户")
    INSTITUTION_NOT_FOUND = "institution_not_found", _("未找到该统一社会信用代码对应的在业机构")
