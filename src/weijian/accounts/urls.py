from django.urls import path

from weijian.accounts import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login-verify"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password-change"),
    path("totp/", views.totp_enrol_view, name="totp-enrol"),
    path("profile/", views.profile_view, name="profile"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("users/", admin_views.UserListView.as_view(), name="user-list"),
    path("users/new/", admin_views.user_create_view, name="user-create"),
    path("users/unlock/", admin_views.user_unlock_view, name="user-unlock"),
    path("users/<int:pk>/", admin_views.user_detail_view, name="user-detail"),
    path("users/<int:pk>/active/", admin_views.user_set_active_view, name="user-set-active"),
    path("users/<int:pk>/password/", admin_views.user_password_reset_view, name="user-password-reset"),
    path("users/<int:pk>/role/", admin_views.user_assign_role_view, name="user-assign-role"),
    path("users/<int:pk>/totp-reset/", admin_views.user_totp_reset_view, name="user-totp-reset"),
]
