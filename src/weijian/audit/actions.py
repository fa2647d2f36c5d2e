"""The fixed vocabulary of audited actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    DEACTIVATE = "deactivate", _("停用")
    VIEW_PERSONAL = "view-personal", _("查看个人信息")
    REVEAL = "reveal", _("查看完整证件号")
    EXPORT = "export", _("导出")
    IMPORT_UPLOAD = "import-upload", _("上传导入文件")
    IMPORT_REJECTED = "import-rejected", _("导入文件被拒绝")
    IMPORT_APPLY = "import-apply", _("执行导入")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login-failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    LOCKED = "account-locked", _("账户锁定")
    UNLOCK = "account-unlock", _("解除锁定")
    PASSWORD_CHANGE = "password-change", _("修改密码")
    TOTP_ENROL = "totp-enrol", _("启用双因素认证")
    TOTP_RESET = "totp-reset", _("重置双因素认证")
    TOKEN_ISSUE = "token-issue", _("签发 API 令牌")
    TOKEN_REVOKE = "token-revoke", _("吊销 API 令牌")
    ROLE_CHANGE = "role-change", _("变更角色")
    KEY_ROTATE = "key-rotate", _("轮换加密密钥")
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("批准")
    REJECT = "reject", _("驳回")
    VERIFY = "verify", _("审核")
    CHECK_IN = "check-in", _("签到")
    DRAW = "draw", _("随机抽取")
