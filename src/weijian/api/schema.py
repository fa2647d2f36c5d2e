"""OpenAPI helpers shared by the endpoint modules: the token scheme, the error body, paginated lists."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "weijian.api.auth.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object("Authorization", "Bearer", bearer_format="wj_…")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="稳定的错误代码，如 not_found、permission_denied、id_number_invalid")
    message = serializers.CharField(help_text="中文错误说明")
    extra = serializers.DictField(help_text="附加信息：业务错误带 field；校验错误带 fields")

    class Meta:
        ref_name = "Error"


_ERROR_TEXT = {
    400: "业务规则或请求数据校验失败",
    401: "未登录，或令牌无效、已过期、已吊销",
    403: "当前角色无权执行此操作",
    404: "对象不存在或不在您的数据范围内",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`; 401 and 403 apply to every endpoint."""
    return {s: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[s]) for s in sorted({401, 403, *statuses})}


def choices_help(choices) -> str:
    """Documents a choice field that the input takes as plain text (the service checks the value)."""
    return "取值：" + "，".join(f"{value}（{label}）" for value, label in choices)


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="页码，从 1 开始"),
    OpenApiParameter("page_size", int, description="每页条数，默认 50，最多 500"),
]


def paginated(serializer_class: type[serializers.Serializer], name: str):
    """The body of a paginated list of `serializer_class` (see api.pagination.Pagination)."""
    return inline_serializer(name=name, fields={
        "count": serializers.IntegerField(help_text="符合条件的总条数"),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializer_class(many=True),
    })
