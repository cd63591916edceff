from django.shortcuts import render


def request_new(request):
    # Placeholder until the intake form lands (issue 5).
    return render(request, "consultations/request_form.html")


def privacy(request):
    return render(request, "consultations/privacy.html")
