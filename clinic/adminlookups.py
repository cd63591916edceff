"""What a changelist URL may filter by: the admin's declared filters only, with dates in range.

ClinicAdminSite.register() (twofactor/sites.py) puts DeclaredFiltersOnly in front of every
ModelAdmin it registers, the project's and third-party ones (axes, auth, education) alike, so
no admin can be left without it by forgetting a base class.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# A year whose next year still exists, and whose first and last instants survive a conversion to
# UTC from any time zone (Django builds [1 Jan, 1 Jan next year) from ?<field>__year=).
FIRST_YEAR, LAST_YEAR = datetime.MINYEAR + 1, datetime.MAXYEAR - 1
HIERARCHY_PARTS = ("year", "month", "day")
DATE_FILTER_SUFFIXES = ("gte", "lt")


class DeclaredFiltersOnly:
    """Accepts in the changelist URL only the parameters of the admin's own declared filters.

    Stock Django lets anyone who may see a changelist filter it by any field of the model
    (`?medications__icontains=warfarin`), which would let staff without the health permission
    rebuild health answers letter by letter, or a content editor learn which treatment a request
    is for (`?consultation_requests=<id>` on the Treatment list). Here a lookup is allowed only if
    it is one of the list_filter parameters (or date_hierarchy's year/month/day), for every user,
    superusers too.

    Date values outside what Python's dates can hold (`?date__year=9999` makes Django compute
    1 January 10000) are dropped with a message before the changelist is built: a 500 otherwise.
    """

    def lookup_allowed(self, lookup, value, request):
        return lookup in self.declared_filter_parameters(request)

    def declared_filter_parameters(self, request):
        allowed = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                allowed.add(item.parameter_name)
                continue
            path = item[0] if isinstance(item, (list, tuple)) else item
            field = get_fields_from_path(self.model, path)[-1]
            if field.is_relation:
                # RelatedFieldListFilter's own parameters.
                allowed |= {f"{path}__{field.target_field.name}__exact", f"{path}__isnull"}
            elif isinstance(field, models.DateField):
                # DateFieldListFilter's ("Today", "Past 7 days", …).
                allowed |= {f"{path}__{suffix}" for suffix in DATE_FILTER_SUFFIXES} | {f"{path}__isnull"}
            else:
                # Boolean, choices and all-values filters.
                allowed |= {f"{path}__exact", f"{path}__isnull"}
        if self.date_hierarchy:
            allowed |= {f"{self.date_hierarchy}__{part}" for part in HIERARCHY_PARTS}
        return allowed

    def get_changelist_instance(self, request):
        bad = self.out_of_range_date_parameters(request)
        if bad:
            request.GET = request.GET.copy()
            for name in bad:
                request.GET.pop(name, None)
            messages.warning(request, _("That date is outside the range the list can show, so it was ignored."))
        return super().get_changelist_instance(request)

    def out_of_range_date_parameters(self, request):
        """The date parameters (hierarchy or date filter) of this URL that no date can satisfy."""
        bad = set()
        if self.date_hierarchy:
            names = [f"{self.date_hierarchy}__{part}" for part in HIERARCHY_PARTS]
            present = [name for name in names if name in request.GET]
            if present and not _hierarchy_in_range(*(request.GET.getlist(name) for name in names)):
                bad |= set(present)
        for name in request.GET:
            path, _sep, suffix = name.rpartition("__")
            if suffix in DATE_FILTER_SUFFIXES and path and name in self.declared_filter_parameters(request):
                field = _field(self.model, path)
                if isinstance(field, models.DateField) and not all(
                    _date_in_range(field, value) for value in request.GET.getlist(name)
                ):
                    bad.add(name)
        return bad


def _hierarchy_in_range(years, months, days):
    """Django reads the last value of each part and builds [that day, the next day/month/year)."""
    try:
        year = int(years[-1]) if years else None
        month = int(months[-1]) if months else 1
        day = int(days[-1]) if days else 1
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            return False
        datetime.date(year, month, day)
    except (ValueError, OverflowError):
        return False
    return True


def _date_in_range(field, value):
    try:
        parsed = field.to_python(value)
    except (ValidationError, ValueError, OverflowError):
        return True  # not a date at all: Django's filter answers that itself (IncorrectLookupParameters)
    return parsed is None or FIRST_YEAR <= parsed.year <= LAST_YEAR


def _field(model, path):
    try:
        return get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None
