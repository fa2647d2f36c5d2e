from django.urls import path

from weijian.orgs import views

app_name = "orgs"
urlpatterns = [
    path("divisions/", views.DivisionListView.as_view(), name="division-list"),
    path("divisions/new/", views.division_create_view, name="division-create"),
    path("divisions/<str:code>/", views.division_detail_view, name="division-detail"),
    path("divisions/<str:code>/edit/", views.division_update_view, name="division-update"),
    path("divisions/<str:code>/delete/", views.division_delete_view, name="division-delete"),
    path("institutions/", views.InstitutionListView.as_view(), name="institution-list"),
    path("institutions/new/", views.institution_create_view, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail_view, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_update_view, name="institution-update"),
    path("institutions/<int:pk>/deactivate/", views.institution_deactivate_view, name="institution-deactivate"),
]
