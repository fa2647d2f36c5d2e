"""REST API under /api/: v1 endpoints (one class per operation), the OpenAPI schema and Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from weijian.api import cards, cme, divisions, institutions, records, research, workers
from weijian.api.routing import route

app_name = "api"

research_urls = [
    path("calls/", route(get=research.CallListApi), name="research-call-list"),
    path("calls/<int:pk>/", route(get=research.CallDetailApi), name="research-call-detail"),
    path("applications/", route(get=research.ApplicationListApi, post=research.ApplicationCreateApi),
         name="research-application-list"),
    path("applications/<int:pk>/", route(get=research.ApplicationDetailApi, patch=research.ApplicationUpdateApi),
         name="research-application-detail"),
    path("applications/<int:pk>/submit/", route(post=research.ApplicationSubmitApi),
         name="research-application-submit"),
    path("applications/<int:pk>/endorse/", route(post=research.ApplicationEndorseApi),
         name="research-application-endorse"),
    path("applications/<int:pk>/return/", route(post=research.ApplicationReturnApi),
         name="research-application-return"),
    path("applications/<int:pk>/decide/", route(post=research.ApplicationDecideApi),
         name="research-application-decide"),
    path("applications/<int:pk>/scores/", route(get=research.ApplicationScoresApi),
         name="research-application-scores"),
    path("reviews/", route(get=research.ReviewListApi), name="research-review-list"),
    path("reviews/<int:pk>/", route(get=research.ReviewDetailApi), name="research-review-detail"),
    path("reviews/<int:pk>/scores/", route(post=research.ReviewScoresApi), name="research-review-scores"),
    path("indicators/", route(get=research.IndicatorsApi), name="research-indicators"),
    path("projects/cleanup/", route(get=research.ProjectCleanupApi), name="research-project-cleanup"),
]

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
    path("research/", include(research_urls)),
    path("records/datasets/<str:dataset>/uploads/", route(post=records.DatasetUploadApi),
         name="records-dataset-upload"),
    path("records/datasets/<str:dataset>/template.xlsx", route(get=records.DatasetTemplateApi),
         name="records-dataset-template"),
    path("records/uploads/<int:pk>/", route(get=records.UploadDetailApi), name="records-upload-detail"),
    path("cards/", route(post=cards.CardIssueApi), name="card-list"),
    path("cards/<str:number>/", route(get=cards.CardLookupApi), name="card-detail"),
    path("cards/<str:number>/usage/", route(post=cards.CardUsageApi), name="card-usage"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
