from django.urls import path

from weijian.orgs import views

app_name = "orgs"
urlpatterns = [
    path("divisions/", views.DivisionListView.as_view(), name="division-list"),
    path("institutions/", views.InstitutionListView.as_view(), name="institution-list"),
    path("institutions/new/", views.institution_create_view, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail_view, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_update_view, name="institution-update"),
    path("institutions/<int:pk>/deactivate/", views.institution_deactivate_view, name="institution-deactivate"),
]
