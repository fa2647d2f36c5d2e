from weijian.research.views import (
    achievements,
    applications,
    attachments,
    calls,
    dashboard,
    ethics,
    execution,
    experts,
    integrity,
    ranking,
    reviews,
)

app_name = "research"
urlpatterns = [*calls.urlpatterns, *applications.urlpatterns, *reviews.urlpatterns, *execution.urlpatterns,
               *integrity.urlpatterns, *experts.urlpatterns, *dashboard.urlpatterns,
               *achievements.urlpatterns, *ethics.urlpatterns, *attachments.urlpatterns,
               *ranking.urlpatterns]
