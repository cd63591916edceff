"""The sign-in lockout's store (AXES_HANDLER): django-axes's database handler, which every app node
shares, made safe for a failed sign-in that races a successful one."""

from axes.handlers.database import AxesDatabaseHandler
from django.db import IntegrityError


class LockoutHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # axes counts a failure with get_or_create on (username, address, browser). Of two failures
        # at once, the second to insert meets the first's row and reads it back. But a success at
        # the same moment deletes that row (AXES_RESET_ON_SUCCESS): the second failure then finds
        # the key taken and nothing to read, and the sign-in page answered with a 500. Counted
        # again, the row is either there (one more failure on it) or gone (a new one).
        try:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        except IntegrityError:
            return super().user_login_failed(sender, credentials, request, **kwargs)
