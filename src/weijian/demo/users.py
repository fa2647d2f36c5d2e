"""One demo account per role, all with the same documented password (it satisfies the policy)."""

from dataclasses import dataclass

from weijian.accounts.roles import Role

DEMO_PASSWORD = "Weijian#2026"  # noqa: S105 - published in the README on purpose; demo data only


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    display_name: str
    anchor: str = ""  # "district", "institution" or "worker": what the account is tied to
    note: str = ""  # what to look at when logged in as this user


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("commission_science", Role.COMMISSION_SCIENCE, "委科教处（演示）", note="全市"),
    DemoUser("commission_info", Role.COMMISSION_INFO, "委信息中心（演示）", note="全市，可维护机构与人员"),
    DemoUser("district_jinjiang", Role.DISTRICT, "锦江区卫健局（演示）", "district", "仅锦江区"),
    DemoUser("institution_jinjiang", Role.INSTITUTION, "锦江区人民医院科教科（演示）", "institution",
             "仅锦江区人民医院"),
    DemoUser("worker_jinjiang", Role.HEALTH_WORKER, "", "worker", "仅本人（锦江区人民医院的一名医师）"),
    DemoUser("expert", Role.EXPERT, "评审专家（演示）", note="无业务数据"),
    DemoUser("ethics", Role.ETHICS, "伦理委员会（演示）", note="无业务数据"),
    DemoUser("system_admin", Role.SYSTEM_ADMIN, "系统管理员（演示）", note="账户管理"),
    DemoUser("security_admin", Role.SECURITY_ADMIN, "安全管理员（演示）", note="角色、锁定、双因素"),
    DemoUser("audit_admin", Role.AUDIT_ADMIN, "审计管理员（演示）", note="审计日志"),
)


def logins_table() -> str:
    """The demo logins as printed by `weijian demo`."""
    width = max(len(u.username) for u in DEMO_USERS)
    lines = [f"  {u.username:<{width}}  {Role(u.role).label}：{u.note}" for u in DEMO_USERS]
    return "\n".join([*lines, f"  密码 / password (all): {DEMO_PASSWORD}"])
