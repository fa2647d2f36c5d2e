from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("weijian.accounts.urls")),
    path("audit/", include("weijian.audit.urls")),
    path("orgs/", include("weijian.orgs.urls")),
    path("workforce/", include("weijian.workforce.urls")),
    path("imports/", include("weijian.imports.urls")),
    path("cme/", include("weijian.cme.urls")),
    path("research/", include("weijian.research.urls")),
    path("terminology/", include("weijian.terminology.urls")),
    path("records/", include("weijian.records.urls")),
    path("dq/", include("weijian.dq.urls")),
    path("targets/", include("weijian.targets.urls")),
    path("mpi/cards/", include("weijian.mpi.card_urls")),  # the health card (its own namespace, "cards")
    path("mpi/", include("weijian.mpi.urls")),
    path("api/", include("weijian.api.urls")),
    path("fhir/", include("weijian.api.fhir.urls")),
    path("", include("weijian.web.urls")),
]
