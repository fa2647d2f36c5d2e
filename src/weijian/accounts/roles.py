from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    COMMISSION_SCIENCE = "commission_science", _("委科教处")
    COMMISSION_INFO = "commission_info", _("委信息中心")
    DISTRICT = "district_bureau", _("区（县）卫健局")
    INSTITUTION = "institution", _("机构科教科")
    HEALTH_WORKER = "health_worker", pgettext_lazy("role", "卫生人员")
    EXPERT = "expert_reviewer", _("评审专家")
    ETHICS = "ethics_committee", _("伦理委员会")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    DATA_SOURCE = "data_source", _("数据上报接口")


class Scope(models.TextChoices):
    CITY = "city", _("全市")
    DISTRICT = "district", _("本区（县）")
    INSTITUTION = "institution", _("本机构")
    SELF = "self", _("仅本人")
    NONE = "none", _("无业务数据")


ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
COMMISSION_ROLES = {Role.COMMISSION_SCIENCE, Role.COMMISSION_INFO}
# Two-factor login is mandatory for these; everyone else may enrol.
TOTP_REQUIRED_ROLES = ADMIN_ROLES | COMMISSION_ROLES

ROLE_SCOPE = {
    Role.COMMISSION_SCIENCE: Scope.CITY,
    Role.COMMISSION_INFO: Scope.CITY,
    Role.DISTRICT: Scope.DISTRICT,
    Role.INSTITUTION: Scope.INSTITUTION,
    Role.HEALTH_WORKER: Scope.SELF,
    Role.EXPERT: Scope.NONE,
    Role.ETHICS: Scope.NONE,
    Role.SYSTEM_ADMIN: Scope.NONE,
    Role.SECURITY_ADMIN: Scope.NONE,
    Role.AUDIT_ADMIN: Scope.NONE,
    Role.DATA_SOURCE: Scope.INSTITUTION,
}
