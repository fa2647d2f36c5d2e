from django.urls import path

from weijian.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditEventListView.as_view(), name="event-list"),
    path("<int:pk>/", views.audit_event_detail_view, name="event-detail"),
]
