from weijian.cme.views import credits, dashboards, projects

app_name = "cme"
urlpatterns = [*projects.urlpatterns, *credits.urlpatterns, *dashboards.urlpatterns]
