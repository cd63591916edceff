"""The admin site, with the second factor in front of every page.

has_permission() is what admin_view() asks before each admin page and each staff view routed
through a ModelAdmin's get_urls() (photos, exports, workflow buttons), so no page under /admin/
opens for a session that has not passed the second factor. Such a user lands on the login
page, which sends them on to enter a code (or set up an app on first sign-in).
"""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from clinic.adminlookups import DeclaredFiltersOnly

from . import devices


class ClinicAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, third-party ones too, filters by its declared filters only."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DeclaredFiltersOnly):
            admin_class = type(
                admin_class.__name__, (DeclaredFiltersOnly, admin_class), {"__module__": admin_class.__module__}
            )
        return super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request):
        return super().has_permission(request) and not devices.awaits_second_step(request.user)

    def each_context(self, request):
        return {**super().each_context(request), "two_factor_required": devices.required()}

    def login(self, request, extra_context=None):
        if request.method == "GET" and devices.awaits_second_step(request.user):
            url = reverse("admin:two_factor_verify", current_app=self.name)
            next_url = request.GET.get("next")
            return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
        return super().login(request, extra_context)

    def second_step_view(self, view):
        """For the pages between the password and the admin: signed-in active staff, verified or not."""

        @wraps(view)
        def inner(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=self.name))
            request.current_app = self.name
            return view(request, *args, **kwargs)

        return never_cache(csrf_protect(inner))

    def get_urls(self):
        from . import views

        step = self.second_step_view
        return [
            path("two-factor/", step(views.verify), name="two_factor_verify"),
            path("two-factor/set-up/", step(views.set_up), name="two_factor_set_up"),
            path("two-factor/recovery-codes/", step(views.recovery_codes), name="two_factor_recovery_codes"),
            path("two-factor/sign-out/", step(views.sign_out), name="two_factor_sign_out"),
            *super().get_urls(),
        ]
