"""Resident health cards (居民健康卡) for card readers at registration desks: swipe a card to identify the
resident, log a use (registration, payment…), issue a card. Card readers authenticate with the API token of
their institution's data-source account (role 数据上报接口); institution staff tokens work too.

Every swipe is audited (CARD_LOOKUP) and logged on the card's usage log, refusals included. A lost, replaced,
revoked or expired card is refused with a code naming its status (card_lost, card_replaced, card_revoked,
card_expired) and no personal data. Responses carry the masked ID number only.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.accounts.access import require
from weijian.api.schema import ErrorSerializer, choices_help, errors
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.mpi import card_selectors, card_services
from weijian.mpi.card_errors import CardErrorCode as E
from weijian.mpi.models import CardStatus, CardUsePurpose
from weijian.orgs.selectors import institution_get

TAG = "cards"
ENTITY = "health-card"


class HolderSerializer(serializers.Serializer):
    empi = serializers.CharField(help_text="主索引号（合并过的居民为其现行主索引号）")
    name = serializers.CharField()
    sex = serializers.CharField(help_text="GB/T 2261.1：1 男，2 女，0 未知，9 未说明；未知为空字符串")
    sex_label = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    id_number_masked = serializers.CharField(help_text="脱敏身份证号；接口从不返回完整号码")

    class Meta:
        ref_name = "CardHolder"


class CardSerializer(serializers.Serializer):
    card_number = serializers.CharField()
    status = serializers.CharField(help_text=choices_help(CardStatus.choices))
    status_label = serializers.CharField(source="get_status_display")
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    institution = serializers.IntegerField(source="institution_id", help_text="发卡机构 id")
    institution_name = serializers.CharField(source="institution.name")

    class Meta:
        ref_name = "HealthCard"


def _not_found(exc: BusinessError) -> Response:
    """An unknown card number is a 404 with its own code, in the one error shape."""
    return Response({"code": exc.code.value, "message": exc.message, "extra": {"field": exc.field}},
                    status=status.HTTP_404_NOT_FOUND)


class CardLookupApi(APIView):
    class OutputSerializer(serializers.Serializer):
        card = CardSerializer()
        holder = HolderSerializer()
        event = serializers.IntegerField(source="event.pk", help_text="本次刷卡在用卡记录中的编号")

        class Meta:
            ref_name = "CardLookup"

    @extend_schema(operation_id="card_lookup", tags=[TAG], summary="刷卡查询持卡居民（记入用卡记录和审计日志）",
                   description="卡号为19位数字（可含空格）。挂失、已补换、已注销或过期的卡返回 400，代码分别为 "
                               "card_lost、card_replaced、card_revoked、card_expired，不返回居民信息；"
                               "机构不在试点范围内返回 card_not_in_pilot 或 card_pilot_not_configured。",
                   responses={200: OutputSerializer, 404: OpenApiResponse(ErrorSerializer, description="卡号不存在"),
                              **errors(400)})
    def get(self, request, number: str):
        require(request.user, ENTITY, "lookup")
        try:
            result = card_selectors.card_lookup(actor=request.user, card_number=number)
        except BusinessError as exc:
            if exc.code == E.NOT_FOUND:
                return _not_found(exc)
            raise
        response = Response(self.OutputSerializer(result).data)
        response["Cache-Control"] = "no-store"
        return response


class CardUsageApi(APIView):
    class InputSerializer(serializers.Serializer):
        purpose = serializers.CharField(help_text=choices_help(CardUsePurpose.choices))
        detail = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                       help_text="可选说明（如挂号科室），不超过100字；请勿填写个人信息")

        class Meta:
            ref_name = "CardUsageInput"

    class OutputSerializer(serializers.Serializer):
        event = serializers.IntegerField(source="event.pk")
        card_number = serializers.CharField(source="card.card_number")
        empi = serializers.CharField(source="holder.empi")
        purpose = serializers.CharField(source="event.purpose")
        at = serializers.DateTimeField(source="event.at")

        class Meta:
            ref_name = "CardUsage"

    @extend_schema(operation_id="card_usage", tags=[TAG], summary="记录一次用卡（挂号、缴费等）",
                   description="与刷卡查询相同的校验；被拒绝的用卡同样记入用卡记录。",
                   request=InputSerializer,
                   responses={201: OutputSerializer, 404: OpenApiResponse(ErrorSerializer, description="卡号不存在"),
                              **errors(400)})
    def post(self, request, number: str):
        require(request.user, ENTITY, "use")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = card_services.card_use(actor=request.user, card_number=number, **serializer.validated_data)
        except BusinessError as exc:
            if exc.code == E.NOT_FOUND:
                return _not_found(exc)
            raise
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


class CardIssueApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Types only: the number rule, dates, pilot and one-card-per-person are card_services'.
        empi = serializers.CharField(max_length=20, help_text="持卡居民的主索引号")
        card_number = serializers.CharField(required=False, allow_blank=True, max_length=40, default="",
                                            help_text="预制卡的卡号；不传或为空则由系统生成")
        institution = serializers.IntegerField(required=False, allow_null=True, default=None,
                                               help_text="发卡机构 id；机构账号和读卡终端不传（即本机构）")
        issued_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="默认今天")
        expires_on = serializers.DateField(required=False, allow_null=True, default=None,
                                           help_text="默认发卡日期起10年")

        class Meta:
            ref_name = "CardIssueInput"

    class OutputSerializer(CardSerializer):
        empi = serializers.CharField(source="person.empi")

        class Meta:
            ref_name = "IssuedHealthCard"

    @extend_schema(operation_id="card_issue", tags=[TAG], summary="发放居民健康卡（一人一卡）",
                   request=InputSerializer, responses={201: OutputSerializer, **errors(400)})
    def post(self, request):
        require(request.user, ENTITY, "issue")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        institution = None
        if data["institution"] is not None and data["institution"] != request.user.institution_id:
            try:
                institution = institution_get(actor=request.user, pk=data["institution"])
            except NotFoundOrForbidden:
                raise BusinessError(E.INSTITUTION_OUT_OF_SCOPE, field="institution") from None
        person = card_selectors.person_find(actor=request.user, empi=data["empi"])
        card = card_services.card_issue(actor=request.user, person=person, institution=institution,
                                        card_number=data["card_number"], issued_on=data["issued_on"],
                                        expires_on=data["expires_on"])
        return Response(self.OutputSerializer(card).data, status=status.HTTP_201_CREATED)
