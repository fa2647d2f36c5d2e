"""Research pages: integrity cases (科研失信案件) and their sanctions, kept by the commission.

The list shows whether each sanction is in force today; a new case names the person by ID number
(found through the blind index, never shown in clear) and its sanction's kind and dates. Once
recorded, the sanction stops the person at every gate it covers (rules.BLOCKS).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weijian.accounts.access import require, scoped_queryset
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.research import rules, services
from weijian.research.models import IntegrityCase, SanctionKind
from weijian.research.views import ResearchListPage, add_error, form_page
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.services import worker_find_by_id_number

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _in_force(case: IntegrityCase) -> str:
    sanction = rules.Sanction(case.sanction, case.starts_on, case.ends_on)
    return _("执行中") if rules.sanction_active(sanction, timezone.localdate()) else _("未生效或已期满")


class IntegrityListView(ResearchListPage):
    entity = "research-integrity"
    title = gettext_lazy("科研失信案件")
    export_name = "research-integrity"
    empty_text = gettext_lazy("暂无科研失信案件")
    default_sort = "-starts_on"
    actions = ((gettext_lazy("登记案件"), "research:integrity-create"),)
    columns = (
        Col(gettext_lazy("案件编号"), lambda c: c.number, sort="number"),
        Col(gettext_lazy("当事人"), lambda c: c.worker.name, sort="worker__name"),
        Col(gettext_lazy("所在单位"), lambda c: c.worker.institution.name),
        Col(gettext_lazy("处理措施"), lambda c: c.get_sanction_display(), sort="sanction"),
        Col(gettext_lazy("惩戒开始"), lambda c: c.starts_on.isoformat(), sort="starts_on"),
        Col(gettext_lazy("惩戒结束"), lambda c: c.ends_on.isoformat() if c.ends_on else _("无限期"), sort="ends_on"),
        Col(gettext_lazy("当前状态"), _in_force),
        Col(gettext_lazy("认定事实"), lambda c: c.finding[:60]),
    )

    def get_queryset(self, request, filters: dict):
        return scoped_queryset(request.user, IntegrityCase, "list").select_related("worker__institution")

    def row_url(self, obj) -> str:
        return ""


class IntegrityCaseForm(StyledForm):
    id_number = forms.CharField(label=gettext_lazy("当事人身份证号"), max_length=18,
                                help_text=gettext_lazy("按身份证号查找本市卫生人员；页面和记录中不显示完整号码"))
    number = forms.CharField(label=gettext_lazy("案件编号"), max_length=32)
    finding = forms.CharField(label=gettext_lazy("认定事实"), widget=forms.Textarea(attrs={"rows": 3}))
    sanction = forms.ChoiceField(label=gettext_lazy("处理措施"), choices=SanctionKind.choices,
                                 help_text=gettext_lazy("全部禁止：不得申报、参加团队、评审、主办继教项目；禁止申报：不得申报或参加团队；"
                                           "取消评审专家资格：不得评审；警告：不限制"))
    starts_on = forms.DateField(label=gettext_lazy("惩戒开始"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("惩戒结束"), required=False, widget=DATE, help_text=gettext_lazy("不填为无限期"))

    def clean_id_number(self):
        try:
            return parse_id_number(self.cleaned_data["id_number"]).value
        except IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from None


@login_required
def integrity_create_view(request):
    require(request.user, "research-integrity", "create")
    form = IntegrityCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        worker = worker_find_by_id_number(actor=request.user, id_number=data.pop("id_number"))
        if worker is None:
            form.add_error("id_number", _("未找到该人员"))
        else:
            try:
                case = services.integrity_case_create(actor=request.user, worker=worker, **data)
            except BusinessError as exc:
                add_error(form, exc)
            else:
                messages.success(request, _("已登记科研失信案件 %(number)s：%(name)s，%(sanction)s") % {
                    "number": case.number, "name": worker.name, "sanction": case.get_sanction_display()})
                return redirect("research:integrity-list")
    return form_page(request, form, title=_("登记科研失信案件"), crumbs=[(reverse("research:integrity-list"), _("科研失信案件"))],
                     cancel_url=reverse("research:integrity-list"), submit_label=_("登记"),
                     warning=_("登记后，惩戒期内该人员在申报、参加团队、评审等环节将被拦截，并向其说明原因。"))


urlpatterns = [
    path("integrity/", IntegrityListView.as_view(), name="integrity-list"),
    path("integrity/new/", integrity_create_view, name="integrity-create"),
]
