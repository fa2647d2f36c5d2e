from weijian.core.errors import ErrorCode


class AccountsErrorCode(ErrorCode):
    USERNAME_TAKEN = "username_taken", "用户名已存在"
    ROLE_ANCHOR_MISSING = "role_anchor_missing", "该角色须指定所属区县、机构或对应人员"
    TOTP_INVALID = "totp_invalid", "动态验证码错误"
    PASSWORD_INVALID = "password_invalid", "密码不符合要求"
    PASSWORD_WRONG = "password_wrong", "原密码错误"
    CANNOT_CHANGE_SELF = "cannot_change_self", "不能修改自己的角色"
