"""Residents (居民检索), a resident's timeline (居民时间轴) and the emergency access (紧急访问) to a record outside
a clinician's institution.

Who may read whose record is the gate's (`accounts.access.clinical_filter`): a clinician reads the residents
treated at their institution, and others only after opening an emergency access with a reason; the information
centre only under the security administrator's grant. Every read and search is audited by the selector.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from weijian.accounts.access import can, clinical_patient_allowed
from weijian.accounts.roles import Role
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.forms import StyledForm
from weijian.records import services, timeline
from weijian.workforce.idnumber import mask_id_number

PATIENT_ID = r"(?P<patient_id>[A-Za-z0-9\-.]{1,64})"


def _fallback(user) -> str:
    """Where someone who may not search residents goes instead (the operational pages of the section)."""
    for entity, url_name in (("record-upload", "records:upload-list"), ("record-source", "records:source-list"),
                             ("record-grant", "records:grant-list")):
        if can(user, entity, "list"):
            return reverse(url_name)
    return ""


def _no_access(request, *, status=403):
    """The information centre without a grant (or a clinician with no institution): say why, with status 403."""
    return render(request, "records/no_access.html", {
        "title": _("无权查阅健康档案"), "needs_grant": request.user.role == Role.COMMISSION_INFO,
        "fallback": _fallback(request.user)}, status=status)


class ResidentSearchForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("姓名、档案号或身份证号"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search", "autofocus": True,
                                                      "placeholder": gettext_lazy("如：张三 / 档案号 / 18位身份证号")}))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def resident_search_view(request):
    """The search is a POST: a citizen ID number typed here must not travel in a URL (address bar, history,
    access logs), and it is not echoed back into the page either."""
    form = ResidentSearchForm(request.POST if request.method == "POST" else None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    try:
        result = timeline.resident_search(request.user, q)
    except PermissionDenied:
        fallback = _fallback(request.user)
        if fallback:
            if can(request.user, "health-record", "view"):
                messages.info(request, _("查阅居民健康档案须经安全管理员授权；您当前可查看上传批次和数据来源。"))
            return redirect(fallback)
        return _no_access(request)
    if result.by == "id-number":
        form = ResidentSearchForm()
    return render(request, "records/search.html", {
        "title": _("居民检索"), "form": form, "result": result, "limit": timeline.SEARCH_LIMIT,
        "id_masked": mask_id_number(q.upper()) if result.by == "id-number" else "",
    })


class TimelineFilterForm(StyledForm):
    institution = forms.IntegerField(label=gettext_lazy("来源机构"), required=False, widget=forms.Select)
    date_from = forms.DateField(label=gettext_lazy("起始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data

    def set_institutions(self, institutions):
        self.fields["institution"].widget.choices = [("", _("全部机构")), *institutions]


@login_required
def patient_timeline_view(request, patient_id: str):
    form = TimelineFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v is not None} if form.is_valid() else {}
    try:
        record = timeline.patient_timeline(request.user, patient_id, institution_id=filters.get("institution"),
                                           date_from=filters.get("date_from"), date_to=filters.get("date_to"))
    except PermissionDenied:
        return _no_access(request)
    except NotFoundOrForbidden:
        if can(request.user, "health-record", "break-glass"):
            # Missing or out of reach look the same: the clinician may ask for emergency access either way.
            return _break_glass_page(request, patient_id, BreakGlassForm(), status=403)
        raise Http404 from None
    form.set_institutions(record.institutions)
    return render(request, "records/timeline.html", {
        "title": _("居民时间轴：%(name)s") % {"name": record.header.name}, "record": record, "form": form,
        "charts": record.chart_data(),
    }, status=422 if form.errors else 200)


class BreakGlassForm(StyledForm):
    # Not `required`: an empty or short reason goes to the service, which refuses it and audits the refusal.
    reason = forms.CharField(label=gettext_lazy("紧急访问理由"), required=False, max_length=255,
                             widget=forms.Textarea(attrs={"rows": 3, "placeholder": gettext_lazy(
                                 "如：患者急诊昏迷，需查阅既往病史和用药记录")}),
                             help_text=gettext_lazy("至少10个字，写明紧急情况和需要查阅的内容。"))


def _break_glass_page(request, patient_id: str, form, *, status: int):
    return render(request, "records/break_glass.html", {
        "title": _("紧急访问"), "patient_id": patient_id, "form": form, "hours": services.BREAK_GLASS_HOURS,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_break_glass_view(request, patient_id: str):
    if not can(request.user, "health-record", "break-glass"):
        raise PermissionDenied
    if clinical_patient_allowed(request.user, patient_id):
        return redirect("records:patient-timeline", patient_id=patient_id)
    if request.method == "GET":
        return _break_glass_page(request, patient_id, BreakGlassForm(), status=200)
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            services.break_glass_open(actor=request.user, patient_id=patient_id, reason=form.cleaned_data["reason"])
        except NotFoundOrForbidden:
            raise Http404 from None
        except BusinessError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.warning(request, _("已开启紧急访问，%(hours)s 小时内有效；本次访问已记录，将由审计管理员复核。")
                             % {"hours": services.BREAK_GLASS_HOURS})
            return redirect("records:patient-timeline", patient_id=patient_id)
    return _break_glass_page(request, patient_id, form, status=422)


urlpatterns = [
    re_path(r"^$", resident_search_view, name="index"),
    re_path(rf"^patients/{PATIENT_ID}/$", patient_timeline_view, name="patient-timeline"),
    re_path(rf"^patients/{PATIENT_ID}/break-glass/$", patient_break_glass_view, name="patient-break-glass"),
]
