"""Health institutions: list, detail, create, update, deactivate — through orgs selectors and services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import require
from weijian.api.pagination import paginated_response
from weijian.api.schema import PAGE_PARAMETERS, choices_help, errors, paginated
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.orgs import selectors, services
from weijian.orgs.errors import OrgsErrorCode
from weijian.orgs.models import InstitutionGrade, InstitutionType, Ownership

TAG = "institutions"


def _division(actor, code: str):
    """The division an institution is placed in, looked up within the actor's scope."""
    try:
        return selectors.division_get(actor=actor, code=code)
    except NotFoundOrForbidden:
        raise BusinessError(OrgsErrorCode.DIVISION_OUT_OF_SCOPE, "行政区划不存在或不在您的管辖范围内",
                            field="division") from None


class InstitutionDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        uscc = serializers.CharField(help_text="统一社会信用代码")
        name = serializers.CharField()
        type = serializers.ChoiceField(choices=InstitutionType.choices)
        grade = serializers.ChoiceField(choices=InstitutionGrade.choices)
        ownership = serializers.ChoiceField(choices=Ownership.choices)
        division = serializers.CharField(source="division_id", help_text="所在区划代码")
        division_name = serializers.CharField(source="division.name")
        district = serializers.CharField(source="district_id", help_text="所属区县代码")
        district_name = serializers.CharField(source="district.name")
        is_active = serializers.BooleanField()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

        class Meta:
            ref_name = "Institution"

    @extend_schema(operation_id="institution_detail", tags=[TAG], summary="机构详情",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, pk: int):
        require(request.user, "institution", "view")
        institution = selectors.institution_get(actor=request.user, pk=pk)
        return Response(self.OutputSerializer(institution).data)


Output = InstitutionDetailApi.OutputSerializer


class InstitutionListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, help_text="名称包含或信用代码前缀")
        type = serializers.ChoiceField(choices=InstitutionType.choices, required=False)
        grade = serializers.ChoiceField(choices=InstitutionGrade.choices, required=False)
        ownership = serializers.ChoiceField(choices=Ownership.choices, required=False)
        district = serializers.CharField(required=False, help_text="所属区县代码")
        active = serializers.BooleanField(required=False, help_text="true 仅在业，false 仅已停用；不传为全部")

    @extend_schema(operation_id="institution_list", tags=[TAG], summary="机构列表",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(Output, "PaginatedInstitutionList"), **errors(400)})
    def get(self, request):
        require(request.user, "institution", "list")
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        active = {True: "1", False: "0"}.get(data.pop("active", None), "")
        queryset = selectors.institution_list(actor=request.user, active=active, **data)
        return paginated_response(request, self, queryset, Output)


class InstitutionCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Types only: every business rule (credit code check, choices, scope) is the service's.
        uscc = serializers.CharField(help_text="18位统一社会信用代码，登记后不可修改")
        name = serializers.CharField(max_length=128, allow_blank=True)
        type = serializers.CharField(help_text=choices_help(InstitutionType.choices))
        grade = serializers.CharField(required=False, default="none", help_text=choices_help(InstitutionGrade.choices))
        ownership = serializers.CharField(help_text=choices_help(Ownership.choices))
        division = serializers.CharField(help_text="所在区划代码（区县或乡镇街道）")

        class Meta:
            ref_name = "InstitutionCreateInput"

    @extend_schema(operation_id="institution_create", tags=[TAG], summary="新增机构",
                   request=InputSerializer, responses={201: Output, **errors(400)})
    def post(self, request):
        require(request.user, "institution", "create")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        division = _division(request.user, data.pop("division"))
        institution = services.institution_create(actor=request.user, division=division, **data)
        return Response(Output(institution).data, status=status.HTTP_201_CREATED)


class InstitutionUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        # The credit code is the institution's identity and cannot be changed.
        name = serializers.CharField(max_length=128, allow_blank=True, required=False)
        type = serializers.CharField(required=False, help_text=choices_help(InstitutionType.choices))
        grade = serializers.CharField(required=False, help_text=choices_help(InstitutionGrade.choices))
        ownership = serializers.CharField(required=False, help_text=choices_help(Ownership.choices))
        division = serializers.CharField(required=False, help_text="所在区划代码（区县或乡镇街道）")
        is_active = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "InstitutionUpdateInput"

    @extend_schema(operation_id="institution_update", tags=[TAG], summary="修改机构（只传要改的字段）",
                   request=InputSerializer, responses={200: Output, **errors(400, 404)})
    def patch(self, request, pk: int):
        require(request.user, "institution", "update")
        institution = selectors.institution_get(actor=request.user, pk=pk, action="update")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "division" in changes:
            changes["division"] = _division(request.user, changes["division"])
        institution = services.institution_update(actor=request.user, institution=institution, **changes)
        return Response(Output(institution).data)


class InstitutionDeactivateApi(APIView):
    @extend_schema(operation_id="institution_deactivate", tags=[TAG], summary="停用机构（机构不删除，标记为已停用）",
                   request=None, responses={204: OpenApiResponse(description="已停用"), **errors(404)})
    def delete(self, request, pk: int):
        require(request.user, "institution", "delete")
        institution = selectors.institution_get(actor=request.user, pk=pk, action="delete")
        services.institution_deactivate(actor=request.user, institution=institution)
        return Response(status=status.HTTP_204_NO_CONTENT)
