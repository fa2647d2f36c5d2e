from weijian.research.views import applications, calls, dashboard, execution, experts, integrity, reviews

app_name = "research"
urlpatterns = [*calls.urlpatterns, *applications.urlpatterns, *reviews.urlpatterns, *execution.urlpatterns,
               *integrity.urlpatterns, *experts.urlpatterns, *dashboard.urlpatterns]
