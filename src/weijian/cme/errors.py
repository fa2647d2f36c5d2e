"""CME error codes. Messages are plain Chinese for now; they join the translation catalogue
together with the CME pages."""

from weijian.core.errors import ErrorCode


class CmeErrorCode(ErrorCode):
    CHOICE_INVALID = "choice_invalid", "取值不在允许范围内"
    NAME_REQUIRED = "name_required", "名称不能为空"
    NUMBER_REQUIRED = "number_required", "项目编号不能为空"
    NUMBER_TAKEN = "number_taken", "该项目编号已存在"
    HOST_OUT_OF_SCOPE = "host_out_of_scope", "主办机构不存在或不在您的管辖范围内"
    DATES_INVALID = "dates_invalid", "结束日期不能早于开始日期"
    CREDITS_INVALID = "credits_invalid", "学分应为大于0的数字，最多一位小数"
    STATUS_INVALID = "status_invalid", "项目当前状态不允许此操作"
    REASON_REQUIRED = "reason_required", "请填写理由"
    MUNICIPAL_ONLY = "municipal_only", "国家级、省级项目通过名单导入，不在本系统申报"
    PROJECT_NOT_OPEN = "project_not_open", "项目未获批准或已取消，不能登记参加"
    WORKER_OUT_OF_SCOPE = "worker_out_of_scope", "人员不存在或不在您的管辖范围内"
    WORKER_NOT_ACTIVE = "worker_not_active", "该人员不在岗"
    DATE_IN_FUTURE = "date_in_future", "日期不能晚于今天"
    DATE_OUTSIDE_PROJECT = "date_outside_project", "参加日期不在项目举办期间"
    YEAR_INVALID = "year_invalid", "年度无效"
    CATEGORY_NOT_SELF_REPORTED = "category_not_self_reported", "项目学分由参加记录自动生成，不能自行申报"
    ALREADY_VERIFIED = "already_verified", "该学分记录已审核"
    REQUIREMENT_INVALID = "requirement_invalid", "学分要求不合理：I类、II类最低学分之和不能超过总学分"
    DISTRICT_OUT_OF_SCOPE = "district_out_of_scope", "区县不存在或不在您的管辖范围内"

    # ---- projects: application, filing, execution report, check-in, spot checks (add below) ----

    # ---- credits: activity catalogue, evidence, verification chain, exemptions, cycles (add below) ----

    # ---- imports and API (add below) ----
