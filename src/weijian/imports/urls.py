from django.urls import path
from django.views.generic import RedirectView

app_name = "imports"
urlpatterns = [
    path("", RedirectView.as_view(url="/"), name="job-list"),
    path("<str:entity>/upload/", RedirectView.as_view(url="/"), name="upload"),
]
