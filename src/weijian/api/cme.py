"""CME: bulk e-learning credits (all or nothing, idempotent by platform record id) and a worker's
transcript for a year (an audited read of personal data)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import require
from weijian.api.schema import errors
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.cme import selectors, services
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.importers import parse_records
from weijian.cme.models import CreditCategory, CreditClass, CreditSource, TitleGroup, Verification
from weijian.cme.services.imports import CREDIT_HEADERS, MAX_API_RECORDS
from weijian.core.errors import BusinessError
from weijian.workforce.selectors import worker_get

TAG = "cme"
_KEY_OF_HEADER = {header: key for key, header in CREDIT_HEADERS.items()}


class CreditBulkApi(APIView):
    class RecordSerializer(serializers.Serializer):
        # Documentation only: records are checked by the same cell and row rules as an import file.
        record_id = serializers.CharField(help_text="平台记录号（幂等键），不超过64个字符")
        id_number = serializers.CharField(help_text="18位居民身份证号，用于匹配已登记人员")
        name = serializers.CharField(help_text="姓名，须与登记的姓名一致")
        course = serializers.CharField(help_text="课程名称，不超过200个字符")
        credit_class = serializers.ChoiceField(choices=CreditClass.choices, help_text="I 或 II（也接受“I类”“II类”）")
        credits = serializers.CharField(help_text="学分：大于0，最多一位小数，如 \"2.5\"")
        earned_on = serializers.DateField(help_text="获得日期 YYYY-MM-DD，不得晚于今天")

        class Meta:
            ref_name = "CmeCreditRecordInput"

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField(help_text="新写入的记录数")
        unchanged = serializers.IntegerField(help_text="此前已导入、内容相同的记录数")

        class Meta:
            ref_name = "CmeCreditBulkResult"

    @extend_schema(
        operation_id="cme_credit_bulk", tags=[TAG],
        summary=f"批量写入远程教育学分（最多 {MAX_API_RECORDS} 条；任一条无效则全部不写入）",
        description=("与“远程教育学分”导入文件同样的校验。无效时返回 400，code 为 rows_invalid，"
                     "extra.rows 列出每条错误（index 为记录在数组中的位置，身份证号脱敏）。"
                     "以平台记录号幂等：重复提交返回 created 0。"),
        request=RecordSerializer(many=True),
        responses={200: OutputSerializer, **errors(400)},
    )
    def post(self, request):
        require(request.user, "cme-credit", "import")
        items = request.data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError({"non_field_errors": ["请求体应为非空的记录数组"]})
        if len(items) > MAX_API_RECORDS:
            raise BusinessError(E.TOO_MANY_RECORDS)
        rows, cell_errors = parse_records(items)
        try:
            result = services.credit_bulk_import(actor=request.user, rows=rows, errors=cell_errors)
        except BusinessError as exc:
            if "errors" in exc.extra:
                exc.extra = {"rows": [
                    {"index": e["row"], "field": _KEY_OF_HEADER.get(e["column"], e["column"]),
                     "value": e["value"], "message": e["reason"]}
                    for e in exc.extra.pop("errors")]}
            raise
        return Response(self.OutputSerializer({"created": result.created, "unchanged": result.unchanged}).data)


class TranscriptRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    earned_on = serializers.DateField()
    credit_class = serializers.ChoiceField(choices=CreditClass.choices)
    category = serializers.ChoiceField(choices=CreditCategory.choices)
    credits = serializers.DecimalField(max_digits=6, decimal_places=1)
    is_remote = serializers.BooleanField()
    title = serializers.CharField()
    source = serializers.ChoiceField(choices=CreditSource.choices)
    external_ref = serializers.CharField(help_text="外部编号：导入记录为平台记录号")
    status = serializers.ChoiceField(choices=Verification.choices)
    project = serializers.IntegerField(source="project_id", allow_null=True)

    class Meta:
        ref_name = "CmeTranscriptRecord"


class AuditOutcomeSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    exempt = serializers.BooleanField()
    counted_total = serializers.DecimalField(max_digits=6, decimal_places=1)
    class_i = serializers.DecimalField(max_digits=6, decimal_places=1)
    class_ii = serializers.DecimalField(max_digits=6, decimal_places=1)
    remote_counted = serializers.DecimalField(max_digits=6, decimal_places=1)
    shortfall = serializers.DecimalField(max_digits=6, decimal_places=1)
    reason = serializers.CharField()

    class Meta:
        ref_name = "CmeAuditOutcome"


class WorkerTranscriptApi(APIView):
    class OutputSerializer(serializers.Serializer):
        worker = serializers.IntegerField(source="worker.pk")
        name = serializers.CharField(source="worker.name")
        id_number_masked = serializers.CharField(source="worker.id_number_masked")
        year = serializers.IntegerField()
        title_group = serializers.ChoiceField(choices=TitleGroup.choices)
        records = TranscriptRecordSerializer(many=True)
        outcome = AuditOutcomeSerializer(allow_null=True, help_text="按规则计算的审验结果；null 表示该年度未设置适用的学分要求")

        class Meta:
            ref_name = "CmeTranscript"

    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="年度，如 2025")

    @extend_schema(
        operation_id="cme_worker_transcript", tags=[TAG], summary="人员年度学分档案与审验结果（查看个人信息，记入审计）",
        parameters=[OpenApiParameter("year", int, required=True, description="年度，如 2025")],
        responses={200: OutputSerializer, **errors(400, 404)},
    )
    def get(self, request, pk: int):
        require(request.user, "cme-credit", "view")
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        year = filters.validated_data["year"]
        worker = worker_get(actor=request.user, pk=pk)
        transcript = selectors.worker_transcript(actor=request.user, worker=worker, year=year)
        audit_record(actor=request.user, action=AuditAction.VIEW_PERSONAL, entity="cme-transcript",
                     entity_id=worker.pk, summary=f"API 查看 {worker.name} {year}年度学分档案")
        return Response(self.OutputSerializer(transcript).data)
