from content import TREATMENTS, sections
from django.http import Http404
from django.shortcuts import render
from django.urls import path


def home(request):
    return render(request, "home.html", {"treatments": TREATMENTS, "prefix": "/treatments/"})


def treatment(request, slug):
    title = next((name for key, name, _summary in TREATMENTS if key == slug), None)
    if title is None:
        raise Http404
    context = {"treatments": TREATMENTS, "prefix": "/treatments/", "title": title, "sections": sections()}
    return render(request, "treatment.html", context)


urlpatterns = [path("", home), path("treatments/<slug:slug>/", treatment)]
