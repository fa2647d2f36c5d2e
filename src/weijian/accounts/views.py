"""Login (password, then TOTP when enrolled), logout, password change, TOTP enrolment, API tokens."""

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from weijian.accounts import services
from weijian.accounts.forms import LoginForm, PasswordChangeForm, TokenForm, TotpForm
from weijian.accounts.models import ApiToken, User
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError

PENDING = "pending_2fa_user"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@sensitive_post_parameters("password")
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        if services.login_locked(username):
            error = _("登录失败次数过多，账户已临时锁定，请稍后再试或联系安全管理员。")
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                error = _("用户名或密码错误。连续失败多次将临时锁定账户。")
            elif user.totp_enabled:
                request.session[PENDING] = user.pk
                return redirect(f"/accounts/login/verify/?next={_next_url(request)}")
            else:
                login(request, user)
                services.login_succeeded(user)
                return redirect(_next_url(request))
    status = 422 if error else 200
    timeout = request.GET.get("timeout") == "1"
    return render(request, "accounts/login.html", {"form": form, "error": error, "timeout": timeout,
                                                   "title": _("登录")}, status=status)


def login_verify_view(request):
    user = User.objects.filter(pk=request.session.get(PENDING), is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if services.totp_verify(user, form.cleaned_data["code"]):
            del request.session[PENDING]
            login(request, user, backend="weijian.accounts.backends.LockoutModelBackend")
            services.login_succeeded(user)
            return redirect(_next_url(request))
        services.login_failed(user.username)
        error = _("动态验证码错误")
    return render(request, "accounts/login_verify.html", {"form": form, "error": error, "title": _("双因素认证")},
                  status=422 if error else 200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(actor=request.user, action=AuditAction.LOGOUT, entity="account", entity_id=request.user.pk,
                     summary=request.user.username)
    logout(request)
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters()
def password_change_view(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else "new_password", exc.message)
        else:
            login(request, request.user, backend="weijian.accounts.backends.LockoutModelBackend")
            messages.success(request, _("密码已修改"))
            return redirect("web:home")
    expired = services.password_expired(request.user)
    return render(request, "accounts/password_change.html", {"form": form, "expired": expired,
                                                             "title": _("修改密码")},
                  status=422 if form.errors else 200)


@login_required
def totp_enrol_view(request):
    secret = request.session.get("totp_secret") or services.totp_new_secret()
    request.session["totp_secret"] = secret
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_enrol(user=request.user, secret=secret, code=form.cleaned_data["code"])
        except BusinessError as exc:
            form.add_error("code", exc.message)
        else:
            del request.session["totp_secret"]
            messages.success(request, _("双因素认证已启用"))
            return redirect("web:home")
    uri = services.totp_uri(request.user, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5)
    return render(request, "accounts/totp_enrol.html", {"form": form, "secret": secret, "qr_svg": qr_svg,
                                                        "title": _("启用双因素认证")},
                  status=422 if form.errors else 200)


@login_required
def profile_view(request):
    form = TokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        _token, new_token = services.api_token_issue(user=request.user, name=form.cleaned_data["name"],
                                                     days=form.cleaned_data["days"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created_at")
    return render(request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_token": new_token,
                                                     "title": _("账户安全")})


@login_required
@require_POST
def token_revoke_view(request, pk: int):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token:
        services.api_token_revoke(user=request.user, token=token)
        messages.success(request, _("令牌已吊销"))
    return redirect("accounts:profile")
