from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("new/", views.request_new, name="new"),
    path("submitted/", views.confirmation, name="confirmation"),
    path("thank-you/", views.thanks, name="thanks"),
    path("privacy/", views.privacy, name="privacy"),
    # "Book again" (issue 27): the recall email's link, traded for a short-lived prefill cookie.
    path("again/<str:token>/", views.book_again, name="book_again"),
]

# Patient self-service through the signed link in their emails (issue 6).
from . import aftercare_views, selfservice  # noqa: E402

# The emailed link (name "manage", with the token) is exchanged for a short-lived cookie and
# redirects to the token-free pages below (selfservice.exchange); those come first, so that
# "cancel" is never read as a token. A new page: "manage/<name>/" named "manage_<name>", and an
# old-style link to it (/manage/<token>/<name>/) exchanges to it by itself.
urlpatterns += [
    path("manage/", selfservice.manage, name="manage_page"),
    path("manage/cancel/", selfservice.cancel, name="manage_cancel"),
    path("manage/move/", selfservice.move, name="manage_move"),
    path("manage/info/", selfservice.add_info, name="manage_info"),
    path("manage/confirm/", selfservice.confirm_hold, name="manage_confirm"),
    # Confirm or release (issue 27), from the reminder's link.
    path("manage/attendance/", selfservice.attendance, name="manage_attendance"),
    # After the visit (issue 26): aftercare and check-ins, behind the same link.
    path("manage/aftercare/", aftercare_views.aftercare_page, name="manage_aftercare"),
    path("manage/check-in/", aftercare_views.check_in, name="manage_check-in"),
    # The waitlist (issue 27): join, change, leave; and the emailed offer of a freed time, whose
    # link carries the offer's own token (never the self-service one).
    path("manage/waitlist/", selfservice.manage_waitlist, name="manage_waitlist"),
    path("offer/<str:token>/", selfservice.waitlist_offer, name="waitlist_offer"),
    path("manage/<str:token>/", selfservice.exchange, name="manage"),
    path("manage/<str:token>/<slug:page>/", selfservice.exchange, name="manage_exchange"),
]
