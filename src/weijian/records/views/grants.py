"""Clinical grants (临床授权): the security administrator opens clinical content to an information-centre user,
for a number of days and with a reason, and may revoke (撤销) an active grant early, with a reason. Without an
active grant, the information centre sees uploads and sources only."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import access_object, clinical_grant_active_q, require, scoped_queryset
from weijian.accounts.models import User
from weijian.accounts.pages import get_or_404
from weijian.accounts.roles import Role
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.records import services
from weijian.records.models import ClinicalGrant

ENTITY = "record-grant"


class GrantForm(StyledForm):
    user = forms.ModelChoiceField(label=gettext_lazy("被授权人（委信息中心）"), queryset=None)
    days = forms.IntegerField(label=gettext_lazy("有效天数"), min_value=1, max_value=90, initial=30)
    reason = forms.CharField(label=gettext_lazy("授权理由"), required=False, max_length=255,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("至少10个字，如：配合区域传染病疫情调查核对病例资料"))

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name or u.username}（{u.username}）"


class RevokeForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("撤销理由"), required=False, max_length=255,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("至少10个字，如：疫情调查已结束，不再需要查阅临床内容"))

    def __init__(self, *args, grant_pk, **kwargs):
        # One form per listed grant: ids stay unique on the page.
        super().__init__(*args, auto_id=f"id_revoke_{grant_pk}_%s", **kwargs)


def _users(actor):
    return scoped_queryset(actor, User, "list").filter(role=Role.COMMISSION_INFO, is_active=True).order_by("username")


def _page(request, form, *, status=200, revoking=None, revoke_form=None):
    """The page; after a refused revoke, `revoke_form` (with its errors) sits open under grant `revoking`."""
    active_now = clinical_grant_active_q()
    grants = scoped_queryset(request.user, ClinicalGrant, "list").select_related("user", "granted_by", "revoked_by")
    active = list(grants.filter(active_now).order_by("expires_at", "pk"))
    return render(request, "records/grants.html", {
        "title": _("临床内容授权"), "form": form,
        "active": [(g, revoke_form if g.pk == revoking else RevokeForm(grant_pk=g.pk)) for g in active],
        "past": grants.exclude(active_now).order_by("-created_at", "-pk")[:20],
        # A refusal about a grant no longer listed (revoked or expired meanwhile) shows above the list.
        "revoke_error": revoke_form.non_field_errors() if revoke_form is not None else None,
    }, status=status)


@login_required
def grant_list_view(request):
    require(request.user, ENTITY, "list")
    return _page(request, GrantForm(users=_users(request.user)))


@login_required
@require_POST
def grant_create_view(request):
    require(request.user, ENTITY, "create")
    form = GrantForm(request.POST, users=_users(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.clinical_grant_create(actor=request.user, user=data["user"], reason=data["reason"],
                                                   days=data["days"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已授权 %(user)s 查看临床内容，至 %(until)s") % {
                "user": grant.user.username, "until": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")})
            return redirect("records:grant-list")
    return _page(request, form, status=422)


@login_required
@require_POST
def grant_revoke_view(request, pk: int):
    require(request.user, ENTITY, "revoke")
    grant = get_or_404(access_object, request.user, ClinicalGrant, pk, "revoke")
    form = RevokeForm(request.POST, grant_pk=grant.pk)
    if form.is_valid():
        try:
            grant = services.clinical_grant_revoke(actor=request.user, grant=grant, reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已撤销 %(user)s 的临床内容授权，即时生效") % {"user": grant.user.username})
            return redirect("records:grant-list")
    return _page(request, GrantForm(users=_users(request.user)), status=422, revoking=grant.pk, revoke_form=form)


urlpatterns = [
    path("grants/", grant_list_view, name="grant-list"),
    path("grants/new/", grant_create_view, name="grant-create"),
    path("grants/<int:pk>/revoke/", grant_revoke_view, name="grant-revoke"),
]
