from django.urls import path

from weijian.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.ImportJobListView.as_view(), name="job-list"),
    path("jobs/<uuid:pk>/", views.job_detail_view, name="job-detail"),
    path("jobs/<uuid:pk>/progress/", views.job_progress_view, name="job-progress"),
    path("jobs/<uuid:pk>/confirm/", views.job_confirm_view, name="job-confirm"),
    path("jobs/<uuid:pk>/cancel/", views.job_cancel_view, name="job-cancel"),
    path("jobs/<uuid:pk>/report.xlsx", views.job_report_view, name="job-report"),
    path("<str:entity>/upload/", views.upload_view, name="upload"),
    path("<str:entity>/template.xlsx", views.template_view, name="template"),
]
