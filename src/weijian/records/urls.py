from weijian.records.views import grants, patients, sources, uploads

app_name = "records"
urlpatterns = patients.urlpatterns + uploads.urlpatterns + sources.urlpatterns + grants.urlpatterns
