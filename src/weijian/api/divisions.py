"""Administrative divisions (GB/T 2260): read-only through the API."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import require
from weijian.api.pagination import paginated_response
from weijian.api.schema import PAGE_PARAMETERS, errors, paginated
from weijian.orgs import selectors
from weijian.orgs.models import DivisionLevel

TAG = "divisions"


class DivisionDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField(help_text="区划代码（GB/T 2260）")
        name = serializers.CharField()
        level = serializers.ChoiceField(choices=DivisionLevel.choices)
        parent = serializers.CharField(source="parent_id", allow_null=True, help_text="上级区划代码")
        parent_name = serializers.CharField(source="parent.name", allow_null=True)
        is_active = serializers.BooleanField()

        class Meta:
            ref_name = "Division"

    @extend_schema(operation_id="division_detail", tags=[TAG], summary="行政区划详情",
                   responses={200: OutputSerializer, **errors(404)})
    def get(self, request, code: str):
        require(request.user, "division", "view")
        division = selectors.division_get(actor=request.user, code=code)
        return Response(self.OutputSerializer(division).data)


class DivisionListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, help_text="名称包含或代码前缀")
        level = serializers.ChoiceField(choices=DivisionLevel.choices, required=False)
        parent = serializers.CharField(required=False, help_text="上级区划代码")

    @extend_schema(operation_id="division_list", tags=[TAG], summary="行政区划列表",
                   parameters=[FilterSerializer, *PAGE_PARAMETERS],
                   responses={200: paginated(DivisionDetailApi.OutputSerializer, "PaginatedDivisionList"),
                              **errors(400)})
    def get(self, request):
        require(request.user, "division", "list")
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        queryset = selectors.division_list(actor=request.user, **filters.validated_data)
        return paginated_response(request, self, queryset, DivisionDetailApi.OutputSerializer)
