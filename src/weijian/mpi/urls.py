from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path

from weijian.accounts.access import can
from weijian.mpi import model_views, person_views, review_views

app_name = "mpi"

# The section's pages, in the order the index tries them.
_SECTION = (("mpi:review-list", "mpi-review"), ("mpi:person-list", "mpi-person"), ("cards:list", "health-card"))


@login_required
def index(request):
    for url_name, entity in _SECTION:
        if can(request.user, entity, "list"):
            return redirect(url_name)
    raise PermissionDenied


urlpatterns = [
    path("", index, name="index"),
    *review_views.urlpatterns,
    *person_views.urlpatterns,
    *model_views.urlpatterns,
]
