"""One error shape for the whole API: {"code", "message", "extra"}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from weijian.core.errors import BusinessError, NotFoundOrForbidden


def _body(code: str, message: str, extra=None) -> dict:
    return {"code": code, "message": message, "extra": extra or {}}


def exception_handler(exc, context):
    if isinstance(exc, BusinessError):
        extra = dict(exc.extra)
        if exc.field:
            extra["field"] = exc.field
        return Response(_body(exc.code.value, exc.message, extra), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (NotFoundOrForbidden, Http404)):
        return Response(_body("not_found", "对象不存在或无权访问"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ModelValidationError):
        # A model's full_clean() inside a service: input the serializer let through (safety net, not a 500).
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(_body("validation_error", "请求数据校验失败", {"fields": fields}),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("validation_error", "请求数据校验失败", {"fields": response.data})
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = _body("not_authenticated", "未登录或未提供令牌")
    elif isinstance(exc, exceptions.AuthenticationFailed):
        response.data = _body("authentication_failed", str(exc.detail))
    elif isinstance(exc, exceptions.PermissionDenied):
        response.data = _body("permission_denied", "无权执行此操作")
    else:
        detail = getattr(exc, "detail", "")
        response.data = _body(getattr(exc, "default_code", "error"), str(detail))
    return response
