from django.urls import path

from . import views

app_name = "education"
urlpatterns = [
    path("", views.home, name="home"),
    path("treatments/", views.treatment_list, name="treatment_list"),
    path("treatments/<slug:slug>/", views.treatment_detail, name="treatment_detail"),
]
