from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from education.sitemaps import sitemaps

from . import views

handler403 = "clinic.views.permission_denied"
handler500 = "clinic.views.server_error"

urlpatterns = [
    path("", include("education.urls")),
    path("consultations/", include("consultations.urls")),
    # Staff's passkeys (twofactor/passkeys.py), under the namespace the package's templates use.
    path("admin/two-factor/passkeys/", include(("twofactor.passkeys", "otp_webauthn"))),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
]
