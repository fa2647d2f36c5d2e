"""FHIR R4 terminology endpoints under /fhir/ (see weijian.api.fhir)."""

from django.urls import path, re_path

from weijian.api.fhir import mpi, records, views
from weijian.records.searchparams import SUPPORTED_TYPES

app_name = "fhir"
_TYPES = "|".join(SUPPORTED_TYPES)

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("CodeSystem", views.CodeSystemSearchView.as_view(), name="codesystem-search"),
    path("CodeSystem/$lookup", views.CodeSystemLookupView.as_view(), name="codesystem-lookup"),
    path("CodeSystem/$validate-code", views.CodeSystemValidateCodeView.as_view(), name="codesystem-validate-code"),
    path("CodeSystem/$subsumes", views.CodeSystemSubsumesView.as_view(), name="codesystem-subsumes"),
    path("CodeSystem/<int:pk>", views.CodeSystemReadView.as_view(), name="codesystem-read"),
    path("CodeSystem/<int:pk>/$validate-code", views.CodeSystemValidateCodeView.as_view(),
         name="codesystem-instance-validate-code"),
    path("CodeSystem/<int:pk>/$subsumes", views.CodeSystemSubsumesView.as_view(), name="codesystem-instance-subsumes"),
    path("ValueSet", views.ValueSetSearchView.as_view(), name="valueset-search"),
    path("ValueSet/$expand", views.ValueSetExpandView.as_view(), name="valueset-expand"),
    path("ValueSet/$validate-code", views.ValueSetValidateCodeView.as_view(), name="valueset-validate-code"),
    path("ValueSet/<int:pk>", views.ValueSetReadView.as_view(), name="valueset-read"),
    path("ValueSet/<int:pk>/$expand", views.ValueSetExpandView.as_view(), name="valueset-instance-expand"),
    path("ValueSet/<int:pk>/$validate-code", views.ValueSetValidateCodeView.as_view(),
         name="valueset-instance-validate-code"),
    path("ConceptMap", views.ConceptMapSearchView.as_view(), name="conceptmap-search"),
    path("ConceptMap/$translate", views.ConceptMapTranslateView.as_view(), name="conceptmap-translate"),
    path("ConceptMap/<int:pk>", views.ConceptMapReadView.as_view(), name="conceptmap-read"),
    path("ConceptMap/<int:pk>/$translate", views.ConceptMapTranslateView.as_view(),
         name="conceptmap-instance-translate"),
    path("", records.BundleView.as_view(), name="bundle"),
    path("Patient/$match", mpi.MatchView.as_view(), name="patient-match"),
    path("Patient/$ihe-pix", mpi.PixView.as_view(), name="patient-pix"),
    path("Patient/<str:fhir_id>/$everything", records.EverythingView.as_view(), name="patient-everything"),
    re_path(rf"^(?P<type_>{_TYPES})$", records.TypeView.as_view(), name="type"),
    re_path(rf"^(?P<type_>{_TYPES})/(?P<fhir_id>[A-Za-z0-9\-.]{{1,64}})$", records.InstanceView.as_view(),
            name="instance"),
    re_path(rf"^(?P<type_>{_TYPES})/(?P<fhir_id>[A-Za-z0-9\-.]{{1,64}})/_history$", records.HistoryView.as_view(),
            name="history"),
    re_path(rf"^(?P<type_>{_TYPES})/(?P<fhir_id>[A-Za-z0-9\-.]{{1,64}})/_history/(?P<version>[0-9]+)$",
            records.VersionView.as_view(), name="vread"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
