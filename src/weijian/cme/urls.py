from weijian.cme.views import credits, dashboards, ledger, projects

app_name = "cme"
urlpatterns = [*projects.urlpatterns, *credits.urlpatterns, *ledger.urlpatterns, *dashboards.urlpatterns]
