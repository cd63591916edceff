from django.shortcuts import get_object_or_404, render

from clinic import seo

from .models import Treatment


def home(request):
    treatments = Treatment.objects.published()
    return render(request, "education/home.html", {"treatments": treatments, "jsonld": seo.clinic_page(request)})


def treatment_list(request):
    treatments = Treatment.objects.published()
    return render(request, "education/treatment_list.html", {"treatments": treatments})


def treatment_detail(request, slug):
    treatment = get_object_or_404(Treatment.objects.visible_to(request.user).with_content(), slug=slug)
    page = treatment.page()
    jsonld = seo.treatment_page(request, treatment, page["sections"], page["references"])
    return render(request, "education/treatment_detail.html", {"treatment": treatment, **page, "jsonld": jsonld})
