"""CME error codes. Messages are plain Chinese for now; they join the translation catalogue
together with the CME pages."""

from django.utils.translation import gettext_lazy as _

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
    FIELD_NOT_EDITABLE = "field_not_editable", _("该字段不能修改")
    BUDGET_INVALID = "budget_invalid", _("经费预算应为不小于0的金额，最多两位小数")
    COUNT_INVALID = "count_invalid", _("人数应为不小于0的整数")
    ALREADY_FILED = "already_filed", _("该项目已备案")
    REPORT_END_IN_FUTURE = "report_end_in_future", _("实际结束日期不能晚于今天，请在项目结束后提交执行情况报告")
    REPORT_DATES_INVALID = "report_dates_invalid", _("实际开始日期不能晚于实际结束日期")
    OUT_OF_CITY_EXCEEDS = "out_of_city_exceeds", _("市外学员人数不能超过实际参加人数")
    DAYS_INVALID = "days_invalid", _("天数应为0至365之间的整数")
    RATE_INVALID = "rate_invalid", _("抽查比例应大于0且不超过1，最多三位小数")
    CYCLE_INVALID = "cycle_invalid", _("验证周期应为1至10年")
    WINDOW_INVALID = "window_invalid", _("签到截止时间应晚于签到开始时间")
    WINDOW_TOO_LONG = "window_too_long", _("一个签到场次不能超过24小时")
    WINDOW_OUTSIDE_PROJECT = "window_outside_project", _("签到时间应在项目举办期间（最多提前或延后一天）")
    CHECKIN_NOT_OPEN = "checkin_not_open", _("未到签到时间")
    CHECKIN_CLOSED = "checkin_closed", _("签到已结束")
    CHECKIN_NO_WORKER = "checkin_no_worker", _("您的账户未关联卫生人员档案，不能签到")
    PERIOD_INVALID = "period_invalid", _("抽查期间的结束日期不能早于开始日期")
    NOTHING_TO_DRAW = "nothing_to_draw", _("该期间没有已举办的项目可供抽查")
    SEED_INVALID = "seed_invalid", _("随机种子应为0至2⁶³−1之间的整数")
    RESULT_REQUIRED = "result_required", _("请选择检查结论")
    FINDINGS_REQUIRED = "findings_required", _("检查结论为基本合格或不合格时，须填写检查发现")

    # ---- credits: activity catalogue, evidence, verification chain, exemptions, cycles (add below) ----
    ACTIVITY_CODE_TAKEN = "activity_code_taken", _("该活动类别代码已存在")
    ACTIVITY_INACTIVE = "activity_inactive", _("该活动类别已停用或不存在")
    QUANTITY_INVALID = "quantity_invalid", _("数量应为大于0的数字，最多一位小数")
    YEARLY_CAP_REACHED = "yearly_cap_reached", _("该类活动本年度学分已达上限，不能再申报")
    EVIDENCE_TYPE = "evidence_type", _("证明材料只能是 PDF、JPEG 或 PNG 文件")
    EVIDENCE_TOO_LARGE = "evidence_too_large", _("证明材料不能超过 10 MB")
    EVIDENCE_EMPTY = "evidence_empty", _("证明材料文件为空")
    EVIDENCE_REQUIRED = "evidence_required", _("该类活动须上传证明材料后才能通过科室审核")
    EVIDENCE_LOCKED = "evidence_locked", _("学分记录已审核完毕，不能再补充证明材料")
    NOT_OWN_RECORD = "not_own_record", _("只有本人或其所在单位可以上传证明材料")
    STAGE_NOT_YOURS = "stage_not_yours", _("该记录当前不在您负责的审核环节")
    COMMENT_REQUIRED = "comment_required", _("退回时请填写审核意见")
    EXEMPTION_EXISTS = "exemption_exists", _("该人员本年度已有豁免申请")
    EXEMPTION_NOT_PENDING = "exemption_not_pending", _("该豁免申请已处理")

    # ---- imports and API (add below) ----
    PERSON_NOT_FOUND = "person_not_found", _("未找到该人员")
    NAME_MISMATCH = "name_mismatch", _("姓名与证件号不符")
    PERSON_OUT_OF_SCOPE = "person_out_of_scope", _("该人员不在您的管辖范围内，不能为其登记")
    IDENTIFIER_REQUIRED = "identifier_required", _("身份证号和执业证书编码至少填写一项")
    LICENCE_AMBIGUOUS = "licence_ambiguous", _("该执业证书编码对应多名人员，请改填身份证号")
    PROJECT_NOT_APPROVED = "project_not_approved", _("项目不存在或未获批准")
    PROJECT_ATTENDED = "project_attended", _("该项目已有参加记录，不能通过导入修改")
    PROJECT_NOT_LISTED = "project_not_listed", _("该项目编号已被本市项目使用，不能作为国家级、省级项目导入")
    LEVEL_NOT_LISTED = "level_not_listed", _("项目级别应为国家级或省级")
    RECORD_ID_INVALID = "record_id_invalid", _("平台记录号不能为空，且不超过64个字符")
    RECORD_CONFLICT = "record_conflict", _("该平台记录号已导入，且内容与本行不同，不能通过导入修改")
    TOO_MANY_RECORDS = "too_many_records", _("一次最多提交5000条记录")
    ROWS_INVALID = "rows_invalid", _("部分记录未通过校验，未写入任何数据")

    # ---- security review (add below) ----
    DATE_OUT_OF_RANGE = "date_out_of_range", _("日期应在2000年至2100年之间")

    # ---- research integrity (add below) ----
    LEAD_SANCTIONED = "lead_sanctioned", _("项目负责人在科研失信惩戒期内，不能主办继续医学教育项目")
    LEAD_NOT_FOUND = "lead_not_found", _("未在您管辖范围内的人员中找到该身份证号")
