from weijian.terminology import views

app_name = "terminology"
urlpatterns = views.urlpatterns
