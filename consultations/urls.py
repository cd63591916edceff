from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("new/", views.request_new, name="new"),
    path("submitted/", views.confirmation, name="confirmation"),
    path("thank-you/", views.thanks, name="thanks"),
    path("privacy/", views.privacy, name="privacy"),
]

# Patient self-service through the signed link in their emails (issue 6).
from . import selfservice  # noqa: E402

urlpatterns += [
    path("manage/<str:token>/", selfservice.manage, name="manage"),
    path("manage/<str:token>/cancel/", selfservice.cancel, name="manage_cancel"),
    path("manage/<str:token>/move/", selfservice.move, name="manage_move"),
    path("manage/<str:token>/info/", selfservice.add_info, name="manage_info"),
]

# After the visit (issue 26): aftercare and check-ins, behind the same signed link.
from . import aftercare_views  # noqa: E402

urlpatterns += [
    path("manage/<str:token>/aftercare/", aftercare_views.aftercare_page, name="aftercare"),
    path("manage/<str:token>/check-in/", aftercare_views.check_in, name="check_in"),
]
