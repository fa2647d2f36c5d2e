from django.urls import path

from weijian.workforce import views

app_name = "workforce"
urlpatterns = [
    path("workers/", views.WorkerListView.as_view(), name="worker-list"),
]
