"""Clinical grants (临床授权): the security administrator opens clinical content to an information-centre user,
for a number of days and with a reason. Without one, the information centre sees uploads and sources only."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import require, scoped_queryset
from weijian.accounts.models import User
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


def _users(actor):
    return scoped_queryset(actor, User, "list").filter(role=Role.COMMISSION_INFO, is_active=True).order_by("username")


def _page(request, form, *, status=200):
    now = timezone.now()
    grants = scoped_queryset(request.user, ClinicalGrant, "list").select_related("user", "granted_by")
    return render(request, "records/grants.html", {
        "title": _("临床内容授权"), "form": form,
        "active": grants.filter(revoked_at__isnull=True, expires_at__gt=now).order_by("expires_at", "pk"),
        "past": grants.exclude(revoked_at__isnull=True, expires_at__gt=now).order_by("-created_at", "-pk")[:20],
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


urlpatterns = [
    path("grants/", grant_list_view, name="grant-list"),
    path("grants/new/", grant_create_view, name="grant-create"),
]
