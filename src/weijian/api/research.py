"""Research projects (科研项目): calls, applications through their routing (PI → institution → commission),
the experts' own review assignments and scores, the indicators of the reader's scope, the clean-up list.

Objects come through the research selectors (accounts.access underneath): out of scope and missing are
the same 404. Every write is one research service, which judges who may take the step: where the service
explains and audits a refusal (someone other than the PI writing, an institution deciding, scores still
sealed), the API lets it, so the caller gets the service's code and Chinese reason and the audit log a
row with outcome "denied".
"""

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import can, require
from weijian.accounts.roles import Role
from weijian.api.pagination import paginated_response
from weijian.api.schema import PAGE_PARAMETERS, choices_help, errors, paginated
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.research import achievements, indicators, rules, selectors, services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    ApplicationStatus,
    AssignmentStatus,
    CallCategory,
    CallStatus,
    TeamRole,
)
from weijian.workforce.models import TitleLevel

TAG = "research"
MONEY = {"max_digits": 12, "decimal_places": 2}
EVENT_ACTIONS = "submit（提交）、return（退回修改）、endorse（单位推荐）、approve（立项）、reject（不予立项）、withdraw（撤回）"


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A count or a rate as a JSON number (an indicator's value is either)."""

    def to_representation(self, value):
        return value


def _filters(serializer_class, request) -> dict:
    filters = serializer_class(data=request.query_params.dict())
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


# ---- calls ---------------------------------------------------------------------------------------

class CallDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        year = serializers.IntegerField()
        title = serializers.CharField()
        category = serializers.ChoiceField(choices=CallCategory.choices)
        budget_ceiling = serializers.DecimalField(**MONEY, help_text="单项资助上限（万元）")
        opens_on = serializers.DateField(help_text="申报开始")
        closes_on = serializers.DateField(help_text="申报截止")
        min_title_level = serializers.CharField(help_text="最低职称，空字符串表示不限；" + choices_help(TitleLevel.choices))
        youth_age_limit = serializers.IntegerField(allow_null=True, help_text="青年项目年龄上限")
        institution_quota = serializers.IntegerField(allow_null=True, help_text="每单位限报（项）；null 表示不限")
        priority_fields = serializers.ListField(child=serializers.CharField(), help_text="优先领域")
        required_attachments = serializers.ListField(child=serializers.CharField(), help_text="必需附件")
        experts_per_application = serializers.IntegerField(help_text="每项评审专家数")
        status = serializers.ChoiceField(choices=CallStatus.choices)
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

        class Meta:
            ref_name = "ResearchCall"

    @extend_schema(operation_id="research_call_detail", tags=[TAG], summary="申报通知详情",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, pk: int):
        require(request.user, "research-call", "view")
        call = selectors.call_get(actor=request.user, pk=pk)
        return Response(self.OutputSerializer(call).data)


CallOutput = CallDetailApi.OutputSerializer


class CallListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="年度")
        category = serializers.ChoiceField(choices=CallCategory.choices, required=False)
        status = serializers.ChoiceField(choices=CallStatus.choices, required=False,
                                         help_text="草稿只有卫健委可见")

    @extend_schema(operation_id="research_call_list", tags=[TAG], summary="申报通知列表",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(CallOutput, "PaginatedResearchCallList"), **errors(400)})
    def get(self, request):
        require(request.user, "research-call", "list")
        queryset = selectors.call_list(actor=request.user, **_filters(self.FilterSerializer, request))
        return paginated_response(request, self, queryset, CallOutput)


# ---- applications --------------------------------------------------------------------------------

class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="申报编号")
    title = serializers.CharField()
    specialty = serializers.CharField(help_text="学科专业")
    call = serializers.IntegerField(source="call_id", help_text="申报通知 id")
    call_title = serializers.CharField(source="call.title")
    year = serializers.IntegerField(source="call.year", help_text="申报通知的年度")
    pi = serializers.IntegerField(source="pi_id", help_text="项目负责人（卫生人员 id）")
    pi_name = serializers.CharField(source="pi.name")
    institution = serializers.IntegerField(source="institution_id", help_text="申报单位 id")
    institution_name = serializers.CharField(source="institution.name")
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    version = serializers.IntegerField(help_text="版本：退回后再次提交为下一版")
    budget_total = serializers.DecimalField(**MONEY, help_text="申请经费（万元）")
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                     help_text="评审得分（立项决定时按专家总分计算）")
    funded_amount = serializers.DecimalField(**MONEY, allow_null=True, help_text="资助金额（万元）")
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ResearchApplication"


class TeamMemberSerializer(serializers.Serializer):
    worker = serializers.IntegerField(source="worker_id")
    name = serializers.CharField(source="worker.name")
    institution_name = serializers.CharField(source="worker.institution.name")
    role = serializers.ChoiceField(choices=TeamRole.choices)

    class Meta:
        ref_name = "ResearchTeamMember"


class EventSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    action = serializers.CharField(help_text=f"取值：{EVENT_ACTIONS}")
    comment = serializers.CharField()
    actor_role = serializers.ChoiceField(source="actor.role", choices=Role.choices, help_text="操作人的角色（不含姓名）")
    at = serializers.DateTimeField()

    class Meta:
        ref_name = "ResearchApplicationEvent"


class _WithDetail:
    """The application, with what its detail shows beside it (team, history, next steps) as attributes."""

    def __init__(self, application, **extra):
        self._application = application
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._application, name)


# A choice set documented as an enum in one component only (drf-spectacular names an enum after its field,
# and a "status" enum shared by several components would need ENUM_NAME_OVERRIDES); the others list the values.
APPLICATION_STATUS_TEXT = choices_help(ApplicationStatus.choices)


class ApplicationDetailApi(APIView):
    class OutputSerializer(ApplicationSerializer):
        status = serializers.CharField(help_text=APPLICATION_STATUS_TEXT)
        summary = serializers.CharField(help_text="研究内容摘要")
        plan = serializers.CharField(help_text="研究计划与进度")
        expected_outputs = serializers.CharField(help_text="预期成果")
        human_subjects = serializers.BooleanField(help_text="涉及人体研究")
        human_genetic_resources = serializers.BooleanField(help_text="涉及人类遗传资源")
        pathogens = serializers.BooleanField(help_text="涉及病原微生物")
        hgr_reference = serializers.CharField(help_text="人类遗传资源许可/备案号")
        biosafety_reference = serializers.CharField(help_text="生物安全实验室备案号")
        integrity_signed_at = serializers.DateTimeField(allow_null=True, help_text="签署诚信承诺的时间")
        team = TeamMemberSerializer(many=True)
        history = EventSerializer(many=True, help_text="申报记录：每一步及其意见（不含评审专家）")
        actions = serializers.ListField(
            child=serializers.CharField(),
            help_text="当前用户现在可做的操作：edit、team、submit、withdraw、endorse、return、decide")

        class Meta:
            ref_name = "ResearchApplicationDetail"

    @extend_schema(operation_id="research_application_detail", tags=[TAG],
                   summary="申报书详情：团队与申报记录（评审专家的身份不在其中）",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, pk: int):
        application = _application(request, pk)
        return Response(_detail(request.user, application))


ApplicationDetailOutput = ApplicationDetailApi.OutputSerializer


def _application(request, pk: int):
    require(request.user, "research-application", "view")
    return selectors.application_get(actor=request.user, pk=pk)


def _detail(actor, application) -> dict:
    return ApplicationDetailOutput(_WithDetail(
        application,
        team=selectors.application_team(actor=actor, application=application),
        history=selectors.application_history(actor=actor, application=application),
        actions=sorted(selectors.application_actions(actor=actor, application=application)),
    )).data


class ApplicationListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        call = serializers.IntegerField(required=False, help_text="申报通知 id")
        status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)
        institution = serializers.IntegerField(required=False, help_text="申报单位 id")
        year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="申报通知的年度")

    @extend_schema(operation_id="research_application_list", tags=[TAG],
                   summary="申报书列表（项目负责人：本人的；机构：本单位的；区县：本区县的；卫健委：全部）",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(ApplicationSerializer, "PaginatedResearchApplicationList"),
                              **errors(400)})
    def get(self, request):
        require(request.user, "research-application", "list")
        filters = _filters(self.FilterSerializer, request)
        year = filters.pop("year", None)
        queryset = selectors.application_list(actor=request.user, **filters)
        if year is not None:
            queryset = queryset.filter(call__year=year)
        return paginated_response(request, self, queryset, ApplicationSerializer)


class ApplicationCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Types only: what is required and allowed is the service's (application_create).
        call = serializers.IntegerField(help_text="已发布的申报通知 id")
        title = serializers.CharField(allow_blank=True, help_text="项目名称")
        specialty = serializers.CharField(allow_blank=True, help_text="学科专业")
        summary = serializers.CharField(required=False, allow_blank=True, help_text="研究内容摘要")
        plan = serializers.CharField(required=False, allow_blank=True, help_text="研究计划与进度")
        expected_outputs = serializers.CharField(required=False, allow_blank=True, help_text="预期成果")
        budget_total = serializers.DecimalField(**MONEY, required=False, help_text="申请经费（万元）")
        human_subjects = serializers.BooleanField(required=False, help_text="涉及人体研究")
        human_genetic_resources = serializers.BooleanField(required=False, help_text="涉及人类遗传资源")
        pathogens = serializers.BooleanField(required=False, help_text="涉及病原微生物")

        class Meta:
            ref_name = "ResearchApplicationCreateInput"

    @extend_schema(operation_id="research_application_create", tags=[TAG],
                   summary="项目负责人（本人）新建申报书草稿",
                   request=InputSerializer, responses={201: ApplicationDetailOutput, **errors(400)})
    def post(self, request):
        require(request.user, "research-application", "create")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        try:
            call = selectors.call_get(actor=request.user, pk=fields.pop("call"))
        except NotFoundOrForbidden:
            raise BusinessError(E.CALL_NOT_OPEN, "申报通知不存在或未发布", field="call") from None
        application = services.application_create(actor=request.user, call=call, **fields)
        return Response(_detail(request.user, application), status=status.HTTP_201_CREATED)


class ApplicationUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True)
        specialty = serializers.CharField(required=False, allow_blank=True)
        summary = serializers.CharField(required=False, allow_blank=True)
        plan = serializers.CharField(required=False, allow_blank=True)
        expected_outputs = serializers.CharField(required=False, allow_blank=True)
        budget_total = serializers.DecimalField(**MONEY, required=False)
        human_subjects = serializers.BooleanField(required=False)
        human_genetic_resources = serializers.BooleanField(required=False)
        pathogens = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "ResearchApplicationUpdateInput"

    @extend_schema(operation_id="research_application_update", tags=[TAG],
                   summary="项目负责人修改申报书（只传要改的字段；仅填写中或退回修改时）",
                   description="已提交的申报书返回 400 not_editable；不是项目负责人本人返回 400 not_the_pi。"
                               "两种拒绝都记入审计。",
                   request=InputSerializer, responses={200: ApplicationDetailOutput, **errors(400, 404)})
    def patch(self, request, pk: int):
        application = _application(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_update(actor=request.user, application=application,
                                                   **serializer.validated_data)
        return Response(_detail(request.user, application))


class ApplicationSubmitApi(APIView):
    class InputSerializer(serializers.Serializer):
        sign_integrity = serializers.BooleanField(help_text="签署科研诚信承诺书：首次提交须为 true")

        class Meta:
            ref_name = "ResearchApplicationSubmitInput"

    @extend_schema(operation_id="research_application_submit", tags=[TAG],
                   summary="项目负责人提交申报书至单位审核（签署诚信承诺；校验全部申报条件）",
                   description="不符合申报条件时返回 400 not_eligible，message 一次列出全部原因。",
                   request=InputSerializer, responses={200: ApplicationDetailOutput, **errors(400, 404)})
    def post(self, request, pk: int):
        application = _application(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_submit(actor=request.user, application=application,
                                                   sign_integrity=serializer.validated_data["sign_integrity"])
        return Response(_detail(request.user, application))


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="意见")

    class Meta:
        ref_name = "ResearchCommentInput"


class ApplicationEndorseApi(APIView):
    @extend_schema(operation_id="research_application_endorse", tags=[TAG],
                   summary="单位科教部门推荐本单位的申报书至卫健委",
                   request=CommentSerializer, responses={200: ApplicationDetailOutput, **errors(400, 404)})
    def post(self, request, pk: int):
        application = _application(request, pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_endorse(actor=request.user, application=application,
                                                    comment=serializer.validated_data["comment"])
        return Response(_detail(request.user, application))


class ApplicationReturnApi(APIView):
    @extend_schema(operation_id="research_application_return", tags=[TAG],
                   summary="单位科教部门退回申报书（须填写意见；再次提交为下一版）",
                   request=CommentSerializer, responses={200: ApplicationDetailOutput, **errors(400, 404)})
    def post(self, request, pk: int):
        application = _application(request, pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_return(actor=request.user, application=application,
                                                   comment=serializer.validated_data["comment"])
        return Response(_detail(request.user, application))


class ApplicationDecideApi(APIView):
    class InputSerializer(serializers.Serializer):
        approve = serializers.BooleanField(help_text="true 立项，false 不予立项")
        funded_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True,
                                                 help_text="资助金额（万元），不超过申报通知的资助上限；不传为申请经费")
        comment = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text="意见；不予立项时必填")

        class Meta:
            ref_name = "ResearchApplicationDecideInput"

    @extend_schema(operation_id="research_application_decide", tags=[TAG],
                   summary="卫健委科教处决定立项或不予立项",
                   description="其他角色返回 400 status_invalid 并记入审计；涉及人体研究的项目立项须有有效的伦理审查批件"
                               "（400 ethics_required）。",
                   request=InputSerializer, responses={200: ApplicationDetailOutput, **errors(400, 404)})
    def post(self, request, pk: int):
        application = _application(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_decide(actor=request.user, application=application,
                                                   **serializer.validated_data)
        return Response(_detail(request.user, application))


class ScoreRowSerializer(serializers.Serializer):
    expert = serializers.CharField(allow_null=True, help_text="专家姓名：仅卫健委科教处可见，其他人为 null")
    total = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="该专家的加权总分（满分100）")
    comment = serializers.CharField()

    class Meta:
        ref_name = "ResearchScoreRow"


def _application_for_scores(actor, pk: int):
    """Business readers reach the application in their scope; an expert only through his own assignment."""
    if can(actor, "research-application", "view"):
        return selectors.application_get(actor=actor, pk=pk)
    require(actor, "research-review", "score")
    assignment = selectors.my_reviews(actor=actor).filter(application_id=pk).first()
    if assignment is None:
        raise NotFoundOrForbidden
    return assignment.application


class ApplicationScoresApi(APIView):
    class OutputSerializer(serializers.Serializer):
        application = serializers.IntegerField()
        aggregate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                             help_text="专家组得分：各专家总分的均值，5人及以上去掉一个最高分和一个最低分")
        scores = ScoreRowSerializer(many=True)

        class Meta:
            ref_name = "ResearchApplicationScores"

    @extend_schema(operation_id="research_application_scores", tags=[TAG], summary="申报书的专家评分",
                   description="卫健委科教处：全部评分及专家姓名。项目负责人：评分，不含专家身份。"
                               "评审专家：本人评审的申报书，全部评审截止日期过后才可查看（之前为 400 scores_sealed），"
                               "不含专家身份。其他人返回 400 not_your_review。拒绝均记入审计。",
                   responses={200: OutputSerializer, **errors(400, 404)})
    def get(self, request, pk: int):
        application = _application_for_scores(request.user, pk)
        rows = services.review_scores(actor=request.user, application=application)
        return Response(self.OutputSerializer({
            "application": application.pk, "scores": rows,
            "aggregate": rules.aggregate_scores([row["total"] for row in rows])}).data)


# ---- reviews -------------------------------------------------------------------------------------

class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    application_number = serializers.CharField(source="application.number")
    application_title = serializers.CharField(source="application.title")
    specialty = serializers.CharField(source="application.specialty")
    call_title = serializers.CharField(source="application.call.title")
    due_on = serializers.DateField(help_text="评审截止日期（含当日）")
    status = serializers.ChoiceField(choices=AssignmentStatus.choices)
    scores = serializers.DictField(child=serializers.CharField(), allow_null=True,
                                   help_text="本人的分项评分（提交后）")
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="本人的加权总分")
    comment = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "ResearchReview"


def _review(request, pk: int):
    require(request.user, "research-review", "view")
    return selectors.review_get(actor=request.user, pk=pk)


class ReviewListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)

    @extend_schema(operation_id="research_review_list", tags=[TAG], summary="我的评审任务（评审专家本人的）",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(ReviewSerializer, "PaginatedResearchReviewList"), **errors(400)})
    def get(self, request):
        require(request.user, "research-review", "score")
        queryset = selectors.my_reviews(actor=request.user, **_filters(self.FilterSerializer, request))
        return paginated_response(request, self, queryset.order_by("due_on", "id"), ReviewSerializer)


class ReviewDetailApi(APIView):
    class OutputSerializer(ReviewSerializer):
        status = serializers.CharField(help_text=choices_help(AssignmentStatus.choices))
        pi_name = serializers.CharField(source="application.pi.name", help_text="项目负责人")
        institution_name = serializers.CharField(source="application.institution.name", help_text="申报单位")
        budget_total = serializers.DecimalField(source="application.budget_total", **MONEY)
        summary = serializers.CharField(source="application.summary")
        plan = serializers.CharField(source="application.plan")
        expected_outputs = serializers.CharField(source="application.expected_outputs")

        class Meta:
            ref_name = "ResearchReviewDetail"

    @extend_schema(operation_id="research_review_detail", tags=[TAG],
                   summary="评审任务详情与申报内容（专家只能查看本人的评审任务）",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, pk: int):
        return Response(self.OutputSerializer(_review(request, pk)).data)


class CriteriaSerializer(serializers.Serializer):
    # Each 0 to 10; whether all are given and in range is the service's (rules.weighted_total).
    innovation = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, help_text="创新性（权重30）")
    rigor = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, help_text="科学性（权重25）")
    feasibility = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, help_text="可行性（权重20）")
    foundation = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, help_text="研究基础（权重15）")
    benefit = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, help_text="预期效益（权重10）")

    class Meta:
        ref_name = "ResearchCriteriaScores"


class ReviewScoresApi(APIView):
    class InputSerializer(serializers.Serializer):
        scores = CriteriaSerializer(help_text="五项评分，各 0 至 10 分")
        comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="评审意见")

        class Meta:
            ref_name = "ResearchReviewScoresInput"

    @extend_schema(operation_id="research_review_submit", tags=[TAG],
                   summary="评审专家提交本人评审任务的评分（一次，截止日期前）",
                   request=InputSerializer, responses={200: ReviewSerializer, **errors(400, 404)})
    def post(self, request, pk: int):
        require(request.user, "research-review", "score")
        assignment = _review(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.review_submit(actor=request.user, assignment=assignment,
                                            scores=serializer.validated_data["scores"],
                                            comment=serializer.validated_data["comment"])
        return Response(ReviewSerializer(assignment).data)


# ---- indicators and the clean-up list -------------------------------------------------------------

class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    target = NumberField(allow_null=True, help_text="目标值；null 表示未设定")
    actual = NumberField(allow_null=True, help_text="实际值：项目数，或比率（0 至 1，四位小数）；无数据时为 null")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    lower_is_better = serializers.BooleanField()

    class Meta:
        ref_name = "ResearchIndicator"


class IndicatorsApi(APIView):
    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="年度，默认今年")

    class OutputSerializer(serializers.Serializer):
        year = serializers.IntegerField()
        on = serializers.DateField(help_text="统计基准日：今年为今天，往年为12月31日")
        indicators = IndicatorSerializer(many=True)
        awards_national = serializers.IntegerField(help_text="国家级奖励（获奖）")
        awards_provincial = serializers.IntegerField(help_text="省级奖励（获奖）")
        awards_municipal = serializers.IntegerField(help_text="市级奖励（获奖）")
        transferred = serializers.IntegerField(help_text="成果转化")
        promoted = serializers.IntegerField(help_text="适宜技术推广")

        class Meta:
            ref_name = "ResearchIndicators"

    @extend_schema(operation_id="research_indicators", tags=[TAG],
                   summary="科研指标（本人数据范围：全市、本区县或本机构）",
                   parameters=[FilterSerializer], responses={200: OutputSerializer, **errors(400)})
    def get(self, request):
        actor = request.user
        require(actor, "research-application", "export")  # the business readers, as on the dashboard
        today = timezone.localdate()
        year = _filters(self.FilterSerializer, request).get("year", today.year)
        if year > today.year:
            raise serializers.ValidationError({"year": ["年度不能晚于今年"]})
        on = today if year == today.year else dt.date(year, 12, 31)
        cards = indicators.scope_indicators(actor=actor, year=year, on=on)
        counts = achievements.achievement_counts(actor=actor, year=year)
        outputs = {key: counts.get(key, 0) for key in ("awards_national", "awards_provincial", "awards_municipal",
                                                       "transferred", "promoted")}
        return Response(self.OutputSerializer({"year": year, "on": on, "indicators": cards, **outputs}).data)


class CleanupProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="project.pk")
    number = serializers.CharField(source="project.number")
    title = serializers.CharField(source="project.title")
    institution = serializers.IntegerField(source="project.institution_id")
    institution_name = serializers.CharField(source="project.institution.name")
    pi = serializers.IntegerField(source="project.pi_id")
    pi_name = serializers.CharField(source="project.pi.name")
    status = serializers.CharField(source="project.status", help_text=APPLICATION_STATUS_TEXT)
    decided_at = serializers.DateTimeField(source="project.decided_at", help_text="立项时间")
    due_on = serializers.DateField(help_text="结题期限：任务书的执行结束日期，未下达任务书时为立项后三年")
    overdue = serializers.BooleanField(help_text="已过结题期限")

    class Meta:
        ref_name = "ResearchCleanupProject"


class ProjectCleanupApi(APIView):
    @extend_schema(operation_id="research_project_cleanup", tags=[TAG],
                   summary="结题清理：近三年立项、尚未结题（也未终止）的项目，逾期的在前",
                   parameters=PAGE_PARAMETERS,
                   responses={200: paginated(CleanupProjectSerializer, "PaginatedResearchCleanupList"),
                              **errors(400)})
    def get(self, request):
        require(request.user, "research-application", "list")
        rows = [{"project": project, "due_on": indicators.due_on(project), "overdue": late}
                for project, late in indicators.cleanup_projects(actor=request.user, on=timezone.localdate())]
        return paginated_response(request, self, rows, CleanupProjectSerializer)

