"""REST API under /api/: v1 endpoints (one class per operation), the OpenAPI schema and Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from weijian.api import cme, divisions, institutions, workers
from weijian.api.routing import route

app_name = "api"

v1 = [
    path("divisions/", route(get=divisions.DivisionListApi), name="division-list"),
    path("divisions/<str:code>/", route(get=divisions.DivisionDetailApi), name="division-detail"),
    path("institutions/", route(get=institutions.InstitutionListApi, post=institutions.InstitutionCreateApi),
         name="institution-list"),
    path("institutions/<int:pk>/", route(get=institutions.InstitutionDetailApi,
                                         patch=institutions.InstitutionUpdateApi,
                                         delete=institutions.InstitutionDeactivateApi),
         name="institution-detail"),
    path("workers/", route(get=workers.WorkerListApi, post=workers.WorkerCreateApi), name="worker-list"),
    path("workers/<int:pk>/", route(get=workers.WorkerDetailApi, patch=workers.WorkerUpdateApi,
                                    delete=workers.WorkerDeactivateApi),
         name="worker-detail"),
    path("workers/<int:pk>/reveal-id-number/", route(post=workers.WorkerRevealIdNumberApi),
         name="worker-reveal-id-number"),
    path("cme/credits/bulk/", route(post=cme.CreditBulkApi), name="cme-credit-bulk"),
    path("cme/workers/<int:pk>/transcript/", route(get=cme.WorkerTranscriptApi), name="cme-worker-transcript"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
