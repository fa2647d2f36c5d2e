from weijian.research.views import applications, calls, execution, reviews

app_name = "research"
urlpatterns = [*calls.urlpatterns, *applications.urlpatterns, *reviews.urlpatterns, *execution.urlpatterns]
