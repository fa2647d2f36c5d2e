from django.urls import path

from weijian.workforce import views

app_name = "workforce"
urlpatterns = [
    path("workers/", views.WorkerListView.as_view(), name="worker-list"),
    path("workers/new/", views.worker_create_view, name="worker-create"),
    path("workers/id-preview/", views.worker_id_preview_view, name="worker-id-preview"),
    path("workers/<int:pk>/", views.worker_detail_view, name="worker-detail"),
    path("workers/<int:pk>/edit/", views.worker_update_view, name="worker-update"),
    path("workers/<int:pk>/deactivate/", views.worker_deactivate_view, name="worker-deactivate"),
    path("workers/<int:pk>/reveal/", views.worker_reveal_view, name="worker-reveal"),
]
