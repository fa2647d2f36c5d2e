from django.urls import path
from django.views.generic import RedirectView

from weijian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login-verify"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password-change"),
    path("totp/", views.totp_enrol_view, name="totp-enrol"),
    path("profile/", views.profile_view, name="profile"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("users/", RedirectView.as_view(url="/"), name="user-list"),
]
