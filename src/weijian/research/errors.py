"""Research error codes. Messages are plain Chinese for now; they join the translation catalogue
together with the research pages."""

from weijian.core.errors import ErrorCode


class ResearchErrorCode(ErrorCode):
    CALL_NOT_OPEN = "call_not_open", "申报通知未发布或已截止"
    CALL_INVALID = "call_invalid", "申报通知的内容不完整或不合理"
    STATUS_INVALID = "status_invalid", "申报书当前状态不允许此操作"
    NOT_EDITABLE = "not_editable", "申报书已提交，不能修改；如需修改，请由单位科教部门退回"
    NOT_THE_PI = "not_the_pi", "只有项目负责人本人可以填写和提交申报书"
    INTEGRITY_REQUIRED = "integrity_required", "请先签署科研诚信承诺书"
    NOT_ELIGIBLE = "not_eligible", "不符合申报条件"
    SANCTIONED = "sanctioned", "科研失信惩戒期内，不能进行此操作"
    WORKER_OUT_OF_SCOPE = "worker_out_of_scope", "人员不存在或不在您的管辖范围内"
    TEAM_DUPLICATE = "team_duplicate", "该人员已在团队中"
    COMMENT_REQUIRED = "comment_required", "退回或不予立项时请填写意见"
    ETHICS_REQUIRED = "ethics_required", "项目涉及人体研究，须有有效的伦理审查批件方可立项"
    HGR_REQUIRED = "hgr_required", "项目涉及人类遗传资源，须填写人类遗传资源行政许可或备案号方可立项"
    BIOSAFETY_REQUIRED = "biosafety_required", "项目涉及病原微生物，须填写生物安全实验室备案号方可立项"
    NOT_YOUR_REVIEW = "not_your_review", "这不是分配给您的评审任务"
    REVIEW_CLOSED = "review_closed", "该评审任务已提交或已过期"
    SCORES_INVALID = "scores_invalid", "评分不完整或超出范围"
    SCORES_SEALED = "scores_sealed", "评审截止前不能查看其他专家的评分"
    NO_EXPERTS = "no_experts", "没有可分配的评审专家"
    AMOUNT_INVALID = "amount_invalid", "资助金额应为不超过资助上限的非负数"
    DATES_INVALID = "dates_invalid", "结束日期不能早于开始日期"
