"""Health workers: list, detail (audited read), create, update, mark as left, reveal the full ID number.

Responses carry only the masked ID number; the full number comes from reveal-id-number alone.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import require
from weijian.api.pagination import paginated_response
from weijian.api.schema import PAGE_PARAMETERS, choices_help, errors, paginated
from weijian.core.errors import NotFoundOrForbidden
from weijian.orgs.selectors import institution_get
from weijian.workforce import selectors, services
from weijian.workforce.models import Profession, Sex, TitleLevel, WorkerStatus

TAG = "workers"


def _institution(actor, pk):
    """The target institution if the actor can see it; None lets `worker_clean` answer institution_out_of_scope."""
    if pk is None:
        return None
    try:
        return institution_get(actor=actor, pk=pk)
    except NotFoundOrForbidden:
        return None


class WorkerDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        id_number_masked = serializers.CharField(help_text="脱敏身份证号；完整号码见 reveal-id-number")
        birth_date = serializers.DateField()
        sex = serializers.ChoiceField(choices=Sex.choices)
        institution = serializers.IntegerField(source="institution_id")
        institution_name = serializers.CharField(source="institution.name")
        profession = serializers.ChoiceField(choices=Profession.choices)
        title_level = serializers.ChoiceField(choices=TitleLevel.choices)
        practising_since = serializers.DateField(allow_null=True)
        status = serializers.ChoiceField(choices=WorkerStatus.choices)
        licence_number = serializers.CharField(help_text="执业证书编码；未登记为空字符串")
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

        class Meta:
            ref_name = "Worker"

    @extend_schema(operation_id="worker_detail", tags=[TAG], summary="卫生人员详情（查看个人信息，记入审计）",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, pk: int):
        require(request.user, "worker", "view")
        worker = services.worker_view(actor=request.user, pk=pk)
        return Response(self.OutputSerializer(worker).data)


Output = WorkerDetailApi.OutputSerializer


class WorkerListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, help_text="姓名或机构名称包含")
        institution = serializers.IntegerField(required=False, help_text="机构 id")
        district = serializers.CharField(required=False, help_text="所属区县代码")
        profession = serializers.ChoiceField(choices=Profession.choices, required=False)
        title_level = serializers.ChoiceField(choices=TitleLevel.choices, required=False)
        status = serializers.ChoiceField(choices=WorkerStatus.choices, required=False)

    @extend_schema(operation_id="worker_list", tags=[TAG], summary="卫生人员列表",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(Output, "PaginatedWorkerList"), **errors(400)})
    def get(self, request):
        require(request.user, "worker", "list")
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = {key: str(value) for key, value in filters.validated_data.items()}
        queryset = selectors.worker_list(actor=request.user, **data)
        return paginated_response(request, self, queryset, Output)


class WorkerCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Types only: the ID number check (GB 11643), choices, dates and scope are `worker_clean`'s.
        name = serializers.CharField(allow_blank=True)
        id_number = serializers.CharField(help_text="18位居民身份证号（GB 11643）")
        institution = serializers.IntegerField(help_text="机构 id，须在您的管辖范围内")
        profession = serializers.CharField(help_text=choices_help(Profession.choices))
        title_level = serializers.CharField(required=False, default="none", help_text=choices_help(TitleLevel.choices))
        practising_since = serializers.DateField(required=False, allow_null=True, default=None)
        status = serializers.CharField(required=False, default="active", help_text=choices_help(WorkerStatus.choices))
        birth_date = serializers.DateField(required=False, help_text="可选；如填写须与身份证号一致")
        sex = serializers.CharField(required=False, help_text="可选；M 或 F，须与身份证号一致")
        licence_number = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                               help_text="可选；执业证书编码，不超过32位字母或数字")

        class Meta:
            ref_name = "WorkerCreateInput"

    @extend_schema(operation_id="worker_create", tags=[TAG], summary="新增卫生人员",
                   request=InputSerializer, responses={201: Output, **errors(400)})
    def post(self, request):
        require(request.user, "worker", "create")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields["institution"] = _institution(request.user, fields["institution"])
        data = services.worker_clean(actor=request.user, **fields)
        worker = services.worker_create(actor=request.user, data=data)
        return Response(Output(worker).data, status=status.HTTP_201_CREATED)


class WorkerUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, allow_blank=True)
        id_number = serializers.CharField(required=False, help_text="不传则保留原身份证号")
        institution = serializers.IntegerField(required=False, help_text="机构 id，须在您的管辖范围内")
        profession = serializers.CharField(required=False, help_text=choices_help(Profession.choices))
        title_level = serializers.CharField(required=False, help_text=choices_help(TitleLevel.choices))
        practising_since = serializers.DateField(required=False, allow_null=True)
        status = serializers.CharField(required=False, help_text=choices_help(WorkerStatus.choices))
        licence_number = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                               help_text="执业证书编码；传空字符串表示清除，不传则保留")

        class Meta:
            ref_name = "WorkerUpdateInput"

    @extend_schema(operation_id="worker_update", tags=[TAG], summary="修改卫生人员（只传要改的字段）",
                   request=InputSerializer, responses={200: Output, **errors(400, 404)})
    def patch(self, request, pk: int):
        require(request.user, "worker", "update")
        worker = selectors.worker_get(actor=request.user, pk=pk, action="update")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        fields = {"name": worker.name, "institution": worker.institution, "profession": worker.profession,
                  "title_level": worker.title_level, "practising_since": worker.practising_since,
                  "status": worker.status}
        if "institution" in changes:
            changes["institution"] = _institution(request.user, changes["institution"])
        fields.update(changes)
        data = services.worker_clean_update(actor=request.user, worker=worker, **fields)
        worker = services.worker_update(actor=request.user, worker=worker, data=data)
        return Response(Output(worker).data)


class WorkerDeactivateApi(APIView):
    @extend_schema(operation_id="worker_deactivate", tags=[TAG], summary="标记为离职（人员不删除）",
                   request=None, responses={204: OpenApiResponse(description="已标记为离职"), **errors(404)})
    def delete(self, request, pk: int):
        require(request.user, "worker", "delete")
        worker = selectors.worker_get(actor=request.user, pk=pk, action="delete")
        services.worker_deactivate(actor=request.user, worker=worker)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkerRevealIdNumberApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id_number = serializers.CharField(help_text="完整身份证号")

        class Meta:
            ref_name = "WorkerIdNumber"

    @extend_schema(operation_id="worker_reveal_id_number", tags=[TAG], summary="查看完整身份证号（记入审计）",
                   request=None, responses={200: OutputSerializer, **errors(404)})
    def post(self, request, pk: int):
        require(request.user, "worker", "reveal")
        id_number = services.worker_reveal_id_number(actor=request.user, pk=pk)
        response = Response(self.OutputSerializer({"id_number": id_number}).data)
        response["Cache-Control"] = "no-store"
        return response
