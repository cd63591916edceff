from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from consultations import calfeed
from education.sitemaps import sitemaps

from . import views

handler403 = "clinic.views.permission_denied"
handler500 = "clinic.views.server_error"

# Language-neutral: staff, probes and crawlers find these at one address.
urlpatterns = [
    # Staff's passkeys (twofactor/passkeys.py), under the namespace the package's templates use.
    path("admin/two-factor/passkeys/", include(("twofactor.passkeys", "otp_webauthn"))),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    # A provider's calendar subscription (consultations/calfeed.py): the secret is the address.
    path("calendar/<str:token>.ics", calfeed.feed, name="calendar_feed"),
]
# The patient side in every language: English keeps today's addresses (no prefix), Spanish
# lives under /es/. The language comes from the address only, never from a cookie or the
# browser, so a link or a cached page always shows the language its address says.
urlpatterns += i18n_patterns(
    path("", include("education.urls")),
    path("consultations/", include("consultations.urls")),
    prefix_default_language=False,
)
