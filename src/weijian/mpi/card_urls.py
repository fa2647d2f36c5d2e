"""URLs of the health-card pages, under /mpi/cards/ (included by mpi/urls.py). Reverse names: "cards:<name>"."""

from django.urls import path

from weijian.mpi import card_views

app_name = "cards"

urlpatterns = [
    path("", card_views.CardListView.as_view(), name="list"),
    path("new/", card_views.card_issue_view, name="issue"),
    path("person-preview/", card_views.card_person_preview_view, name="person-preview"),
    path("lookup/", card_views.card_lookup_view, name="lookup"),
    path("pilot/", card_views.card_pilot_view, name="pilot"),
    path("<int:pk>/", card_views.card_detail_view, name="detail"),
    path("<int:pk>/lost/", card_views.card_status_view, {"change": "lost"}, name="lost"),
    path("<int:pk>/revoke/", card_views.card_status_view, {"change": "revoke"}, name="revoke"),
    path("<int:pk>/replace/", card_views.card_replace_view, name="replace"),
]
