"""Account administration pages for the separated administrators (三员分立).

System admin: list, create accounts, reset passwords, activate/deactivate — never roles.
Security admin: list, assign role + anchor, unlock usernames, reset two-factor.
Audit admin and business roles: 403. Every write goes through an audited accounts service.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from weijian.accounts import selectors, services
from weijian.accounts.access import can, require
from weijian.accounts.admin_forms import (
    ANCHOR_FIELD,
    PasswordResetForm,
    RoleAssignForm,
    UnlockForm,
    UserCreateForm,
    UserFilterForm,
)
from weijian.accounts.errors import AccountsErrorCode
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import ROLE_SCOPE
from weijian.core.errors import BusinessError
from weijian.core.pages import Col


def anchor_label(user) -> str:
    if user.district_id:
        return user.district.name
    if user.institution_id:
        return user.institution.name
    if user.worker_id:
        return f"{user.worker.name}（{user.worker.id_number_masked}）"
    return ""


def scope_label(user) -> str:
    if not user.role:
        return ""
    anchor = anchor_label(user)
    return f"{user.scope.label}：{anchor}" if anchor else str(user.scope.label)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class UserListView(ScopedListPage):
    entity = "account"
    title = gettext_lazy("账户管理")
    export_name = "accounts"
    default_sort = "username"
    filter_form = UserFilterForm
    template_name = "accounts/users/list.html"
    columns = (
        Col(gettext_lazy("用户名"), lambda u: u.username, sort="username", link=True),
        Col(gettext_lazy("姓名"), lambda u: u.display_name, sort="display_name"),
        Col(gettext_lazy("角色"), lambda u: u.get_role_display() or _("（未分配）"), sort="role"),
        Col(gettext_lazy("数据范围"), lambda u: scope_label(u)),
        Col(gettext_lazy("状态"), lambda u: pgettext("account state", "启用") if u.is_active else pgettext("account state", "停用"), sort="is_active"),
        Col(gettext_lazy("双因素认证"), lambda u: _("已启用") if u.totp_enabled else _("未启用")),
        Col(gettext_lazy("锁定"), lambda u: _("锁定中") if u.locked else ""),
        Col(gettext_lazy("最近登录"), lambda u: _when(u.last_login), sort="last_login"),
        Col(gettext_lazy("创建时间"), lambda u: _when(u.date_joined), sort="date_joined"),
    )

    def get_queryset(self, request, filters):
        return selectors.user_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("accounts:user-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, "account", "create"):
            return ((_("新建账户"), reverse("accounts:user-create")),)
        return ()

    def extra_context(self, request):
        can_unlock = can(request.user, "account", "unlock")
        return {"can_unlock": can_unlock, "unlock_form": UnlockForm() if can_unlock else None,
                "locks": selectors.login_locks(actor=request.user)[:50] if can_unlock else ()}


def _detail(request, user, **extra):
    actor = request.user
    context = {
        "title": user.username, "account": user, "anchor": anchor_label(user),
        "locked": selectors.user_locked(user),
        "can_set_active": can(actor, "account", "delete") and user.pk != actor.pk,
        "can_reset_password": can(actor, "account", "update") and user.pk != actor.pk,
        "can_assign_role": can(actor, "account", "assign-role") and user.pk != actor.pk,
        "can_unlock": can(actor, "account", "unlock"),
        "can_reset_totp": can(actor, "account", "reset-totp") and user.totp_enabled,
        **extra,
    }
    return render(request, "accounts/users/detail.html", context)


@login_required
@require_safe
def user_detail_view(request, pk: int):
    require(request.user, "account", "view")
    user = get_or_404(selectors.user_get, actor=request.user, pk=pk)
    return _detail(request, user)


@login_required
@sensitive_post_parameters("password", "password2")
def user_create_view(request):
    require(request.user, "account", "create")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(actor=request.user, username=data["username"].strip(),
                                        password=data["password"], display_name=data["display_name"].strip())
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("账户已创建：%(name)s。角色须由安全管理员分配后方可使用业务功能。")
                             % {"name": user.username})
            return redirect("accounts:user-detail", pk=user.pk)
    return render(request, "accounts/users/form.html",
                  {"form": form, "title": _("新建账户"), "cancel_url": reverse("accounts:user-list")},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def user_set_active_view(request, pk: int):
    require(request.user, "account", "delete")
    user = get_or_404(selectors.user_get, actor=request.user, pk=pk, action="delete")
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=user, active=active)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("账户已启用") if active else _("账户已停用"))
    return redirect("accounts:user-detail", pk=user.pk)


@login_required
@sensitive_post_parameters("password", "password2")
def user_password_reset_view(request, pk: int):
    require(request.user, "account", "update")
    user = get_or_404(selectors.user_get, actor=request.user, pk=pk, action="update")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_reset(actor=request.user, user=user, password=form.cleaned_data["password"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("密码已重置，用户下次登录时须修改密码。"))
            return redirect("accounts:user-detail", pk=user.pk)
    return render(request, "accounts/users/form.html",
                  {"form": form, "title": _("重置密码"), "account": user, "submit_label": _("重置密码"),
                   "cancel_url": reverse("accounts:user-detail", args=[user.pk])},
                  status=422 if form.errors else 200)


def _resolve_anchor(actor, form) -> dict:
    """The anchor object(s) for the chosen role, from the form; BusinessError when not found."""
    data, needed = form.cleaned_data, form.anchor
    if needed == "district":
        district = selectors.anchor_districts(actor=actor).filter(pk=data["district"]).first()
        return {"district": district}
    if needed == "institution":
        institution = selectors.anchor_institution(actor=actor, uscc=data["institution"])
        if institution is None:
            raise BusinessError(AccountsErrorCode.INSTITUTION_NOT_FOUND, field="institution")
        return {"institution": institution}
    if needed == "worker":
        return {"worker": services.account_worker_lookup(actor=actor, id_number=data["worker"])}
    return {}


@login_required
def user_assign_role_view(request, pk: int):
    require(request.user, "account", "assign-role")
    user = get_or_404(selectors.user_get, actor=request.user, pk=pk, action="assign-role")
    initial = {"role": user.role, "district": user.district_id or "",
               "institution": user.institution.uscc if user.institution_id else ""}
    form = RoleAssignForm(request.POST or None, initial=initial,
                          districts=selectors.anchor_districts(actor=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            anchor = _resolve_anchor(request.user, form)
            services.user_assign_role(actor=request.user, user=user, role=form.cleaned_data["role"], **anchor)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            bound = anchor.get("worker")
            note = _("，绑定卫生人员：%(name)s（%(masked)s）") % {"name": bound.name, "masked": bound.id_number_masked} \
                if bound else ""
            messages.success(request, _("已为 %(user)s 分配角色：%(role)s%(note)s") % {
                "user": user.username, "role": user.get_role_display(), "note": note})
            return redirect("accounts:user-detail", pk=user.pk)
    role_anchor = {role: ANCHOR_FIELD.get(scope, "") for role, scope in ROLE_SCOPE.items()}
    return render(request, "accounts/users/role_form.html",
                  {"form": form, "title": _("分配角色"), "account": user, "anchor": anchor_label(user),
                   "role_anchor": role_anchor,
                   "cancel_url": reverse("accounts:user-detail", args=[user.pk])},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def user_totp_reset_view(request, pk: int):
    require(request.user, "account", "reset-totp")
    user = get_or_404(selectors.user_get, actor=request.user, pk=pk, action="reset-totp")
    services.totp_reset(actor=request.user, user=user)
    messages.success(request, _("已重置 %(user)s 的双因素认证，用户下次登录后须重新绑定。") % {"user": user.username})
    return redirect("accounts:user-detail", pk=user.pk)


@login_required
@require_POST
def user_unlock_view(request):
    require(request.user, "account", "unlock")
    form = UnlockForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"].strip()
        services.login_unlock(actor=request.user, username=username)
        messages.success(request, _("已解除锁定：%(user)s") % {"user": username})
    else:
        messages.error(request, _("请填写要解除锁定的用户名"))
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/accounts/users/") else reverse("accounts:user-list"))
