from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("new/", views.request_new, name="new"),
]
urlpatterns += [path("privacy/", views.privacy, name="privacy")]
