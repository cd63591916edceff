"""Consultation requests: what a prospective patient sends, and the clinic's work on it.

The patient's answers are protected health information. They are stored as a
snapshot (question text, answer, flag kind) so that editing the education
content later never changes what a patient said. Nothing here logs them.
"""

import datetime
import hashlib
import json
import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from clinic.clientip import client_ip
from clinic.formatting import clinic_tz
from education.models import Precaution, Treatment

from .permissions import CUSTOM as CUSTOM_PERMISSIONS

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a reference read out over the phone is never misheard.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 8


def age_on(day, birth_date):
    """Whole years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def new_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class FlagKind(models.TextChoices):
    """Same values as education.Precaution.Kind; ordered from most to least serious."""

    DO_NOT_TREAT = Precaution.Kind.DO_NOT_TREAT.value, _("Do not treat")
    POSTPONE = Precaution.Kind.POSTPONE.value, _("Postpone")
    DISCUSS = Precaution.Kind.DISCUSS.value, _("Discuss")

    @classmethod
    def severity(cls, kind):
        return {cls.DO_NOT_TREAT: 3, cls.POSTPONE: 2, cls.DISCUSS: 1}.get(kind, 0)


class PrivacyNotice(models.Model):
    """Versioned privacy notice text; the newest published version is the one shown."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    text = models.TextField(_("text"), help_text=_("Markdown."))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        # pk breaks a tie: two versions saved in the same instant (an import, a frozen test clock).
        ordering = ["-published_at", "-pk"]
        get_latest_by = ["published_at", "pk"]
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")

    def __str__(self):
        return f"Privacy notice {self.version}"

    @property
    def sha256(self):
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @classmethod
    def current(cls):
        """The notice in force now (every intake form shows and records it)."""
        return cls.objects.filter(published_at__lte=timezone.now()).latest()


class CancellationPolicy(models.Model):
    """Versioned cancellation policy (issue 27), like the privacy notice: the newest published one is
    shown next to the time choice, and a patient who picks a time accepts it (version, time and
    address are stored on the request). No fees: the clinic keeps the evidence for its own policy.

    Inside `window_hours` before the time, the patient's link offers "call us" instead of cancel or
    move (ConsultationRequest.inside_cancellation_window), except during `grace_minutes` after the
    booking: a patient who booked by mistake can undo it at once."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    text = models.TextField(_("text"), help_text=_("Markdown."))
    window_hours = models.PositiveSmallIntegerField(
        _("cancellation window (hours)"),
        default=24,
        help_text=_("Within this many hours of the time, patients call to cancel or move."),
    )
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace period (minutes)"),
        default=60,
        help_text=_("For this long after booking, a patient may still cancel or move online."),
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        # pk breaks a tie: two versions saved in the same instant (an import, a frozen test clock).
        ordering = ["-published_at", "-pk"]
        get_latest_by = ["published_at", "pk"]
        verbose_name = _("cancellation policy")
        verbose_name_plural = _("cancellation policies")

    def __str__(self):
        return f"Cancellation policy {self.version}"

    @classmethod
    def current(cls):
        """The policy in force now, or None (then the form asks for no acceptance). Newest first
        is Meta.ordering, as for the notice's latest()."""
        return cls.objects.filter(published_at__lte=timezone.now()).first()

    @classmethod
    def of(cls, version):
        """The policy a patient accepted, by its version (None for none)."""
        return cls.objects.filter(version=version).first() if version else None


class Provider(models.Model):
    """A staff user who sees patients, with the hours they can be booked."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider")
    display_name = models.CharField(_("display name"), max_length=120)
    credentials = models.CharField(_("credentials"), max_length=120, blank=True)
    active = models.BooleanField(_("takes bookings"), default=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self):
        return ", ".join(part for part in (self.display_name, self.credentials) if part)


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["provider", "weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="working_hours_end_after_start")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class AvailabilityException(models.Model):
    """A day (or part of one) off, or extra hours on a given date."""

    class Kind(models.TextChoices):
        OFF = "off", _("Not available")
        EXTRA = "extra", _("Extra hours")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.OFF)
    start = models.TimeField(
        _("from"), null=True, blank=True, help_text=_("Empty with “Not available” means the whole day.")
    )
    end = models.TimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start"]
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(start__isnull=True, end__isnull=True) & models.Q(kind="off"))
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="exception_times_make_sense",
                violation_error_message=_("Give both times (end after start), or none for a whole day off."),
            )
        ]

    def __str__(self):
        when = f"{self.start:%H:%M}–{self.end:%H:%M}" if self.start else _("all day")
        return f"{self.date} {self.get_kind_display()} {when}"


class ClosedDay(models.Model):
    """A day the whole clinic is shut (a public holiday): nobody can be booked, whatever their hours."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("reason"), max_length=120, help_text=_("For example “Christmas Day”. Staff see it."))

    class Meta:
        ordering = ["date"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class InfoTopic(models.TextChoices):
    """What the clinic asks the patient to add. Generic wording: it goes into an email."""

    GENERAL = "general", _("A little more information about your request")
    PHOTOS = "photos", _("Clearer photos of the area you would like treated")
    HEALTH = "health", _("More detail in your answers to the health questions")
    HISTORY = "history", _("Details of any previous aesthetic treatments")


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    NEEDS_INFO = "needs_info", _("Needs information")
    APPROVED = "approved", _("Approved / booked")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


# Added to queue_rank while a request is urgent: above any new or flagged request (at most 13).
URGENT_RANK = 100

# Requests in these states hold their time: no one else can be given it.
ACTIVE_STATUSES = [Status.NEW, Status.TRIAGED, Status.NEEDS_INFO, Status.APPROVED]
CLOSED_STATUSES = [Status.COMPLETED, Status.NO_SHOW, Status.DECLINED, Status.CANCELLED, Status.EXPIRED]

# Which state may follow which. Declined/cancelled are reachable from any open state.
TRANSITIONS = {
    Status.NEW: {Status.TRIAGED, Status.NEEDS_INFO, Status.APPROVED, Status.DECLINED, Status.CANCELLED, Status.EXPIRED},
    Status.TRIAGED: {Status.NEEDS_INFO, Status.APPROVED, Status.DECLINED, Status.CANCELLED, Status.EXPIRED},
    Status.NEEDS_INFO: {Status.TRIAGED, Status.APPROVED, Status.DECLINED, Status.CANCELLED, Status.EXPIRED},
    Status.APPROVED: {Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED, Status.DECLINED},
}


class DeclineReason(models.TextChoices):
    NOT_SUITABLE = "not_suitable", _("The treatment is not suitable based on the answers")
    POSTPONE = "postpone", _("Treatment should wait for now")
    NEEDS_IN_PERSON = "in_person", _("Needs an in-person assessment first")
    NOT_OFFERED = "not_offered", _("We do not offer what was asked for")
    DUPLICATE = "duplicate", _("Duplicate request")
    OTHER = "other", _("Other reason (the clinic will explain by phone)")


class InvalidTransition(Exception):
    """Raised when a status change is not allowed from the request's current state."""


class InsideCancellationWindow(InvalidTransition):
    """The patient may not cancel or move online: the time is inside the policy's cancellation window
    (ConsultationRequest.inside_cancellation_window). They call the clinic; staff still can."""


class ConsultationRequestQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)

    def flagged(self):
        return self.exclude(worst_flag="")

    def submitted_with(self, token):
        """The request one rendered intake form created (its submission token), if any."""
        return self.filter(submission_token=token)

    def open_work(self):
        """What the queue shows by default: open requests, and closed ones with an urgent check-in."""
        return self.filter(models.Q(status__in=ACTIVE_STATUSES) | models.Q(urgent_since__isnull=False))

    def holding(self):
        """Requests that hold a time right now."""
        return self.active().filter(slot_start__isnull=False)

    def claim(self, pk, sent_field, now):
        """Mark one message as sent (`sent_field`, e.g. reminder_sent_at) with a conditional UPDATE:
        of two overlapping runs of a scheduled job, only one gets True and sends it."""
        return bool(self.filter(pk=pk, **{f"{sent_field}__isnull": True}).update(**{sent_field: now}))

    def for_queue(self):
        """The staff work queue: flagged and oldest new first, related rows loaded in one query.

        Ordered by queue_rank, which the database keeps (and indexes) from the status and the
        flag: the first page of 50,000 requests is read from the index instead of sorting them all.
        """
        severity = models.Case(
            *(models.When(worst_flag=kind, then=FlagKind.severity(kind)) for kind in FlagKind.values),
            default=0,
            output_field=models.IntegerField(),
        )
        is_new = models.Case(models.When(status=Status.NEW, then=1), default=0, output_field=models.IntegerField())
        return (
            self.select_related("treatment", "provider", "assigned_to")
            .annotate(flag_severity=severity, is_new=is_new)
            .order_by("-queue_rank", "created_at", "-pk")
        )


class ConsultationRequest(models.Model):
    reference = models.CharField(_("reference"), max_length=REFERENCE_LENGTH, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    # One per rendered form: a second POST of the same form (double click, back button)
    # finds the first request instead of creating another.
    submission_token = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    # About you
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("mobile phone"), max_length=20, help_text=_("E.164, e.g. +12075550134"))
    date_of_birth = models.DateField(_("date of birth"))

    # Your goals
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="consultation_requests")
    areas = models.JSONField(
        _("areas of concern"), default=list, blank=True, help_text=_("Names as shown to the patient.")
    )
    goals = models.TextField(_("goals"), max_length=2000)
    previous_treatments = models.TextField(_("previous aesthetic treatments"), max_length=2000, blank=True)

    # Health (the per-question screening lives in ScreeningAnswer)
    medications = models.TextField(_("current medications and supplements"), max_length=2000, blank=True)
    allergies = models.TextField(_("allergies"), max_length=2000, blank=True)
    pregnancy = models.CharField(_("pregnant or breastfeeding"), max_length=8, blank=True)

    # Consent to the privacy notice, exactly as shown.
    consent_version = models.CharField(_("privacy notice version"), max_length=20)
    consent_sha256 = models.CharField(_("privacy notice SHA-256"), max_length=64)
    consented_at = models.DateTimeField(_("consented at"))

    # The held (or booked) time. Null means "no preference / call me".
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="requests", verbose_name=_("provider")
    )
    slot_start = models.DateTimeField(_("requested time"), null=True, blank=True, db_index=True)
    slot_end = models.DateTimeField(_("requested time ends"), null=True, blank=True)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    # When the request took the time it holds now (sent with it, chosen later, taken from the
    # waitlist, or moved to it): the cancellation policy's grace period counts from here.
    time_taken_at = models.DateTimeField(_("when this time was taken"), null=True, blank=True, editable=False)
    # The patient confirmed the held time through their link; an unconfirmed hold lapses
    # (CLINIC_HOLD_CONFIRM_HOURS, workflow.lapse_hold) so nobody can sit on the calendar.
    hold_confirmed_at = models.DateTimeField(_("time confirmed by the patient"), null=True, blank=True)
    # A time the patient asked for but was not given: the caps or the brake (booking.hold_refusal),
    # or a hold that lapsed. Staff call to agree a time.
    unheld_time = models.DateTimeField(_("time asked for, not held"), null=True, blank=True)
    # Who sent it, as a keyed hash of the client (clinic.clientip.client_key), never the address:
    # the per-client cap on held times counts these.
    client_hash = models.CharField(max_length=32, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # The cancellation policy the patient accepted when choosing a time (issue 27): which version,
    # when, and from which address (clinic.clientip.client_ip). Empty for "No preference".
    policy_version = models.CharField(_("cancellation policy version"), max_length=20, blank=True, editable=False)
    policy_accepted_at = models.DateTimeField(_("cancellation policy accepted"), null=True, blank=True, editable=False)
    policy_accepted_ip = models.GenericIPAddressField(
        _("cancellation policy accepted from"), null=True, blank=True, editable=False
    )
    # The patient answered the confirm-or-release reminder with "I will come" (workflow.confirm_attendance).
    # Cleared when the time moves (reminders.RESET_ON_MOVE): a confirmation is for one time.
    attendance_confirmed_at = models.DateTimeField(_("attendance confirmed"), null=True, blank=True)
    # The "book again" email went out (recalls.py): once per completed request.
    recall_sent_at = models.DateTimeField(_("book-again email sent"), null=True, blank=True)
    # The address the request was sent to, for links in later emails when CLINIC_SITE_URL is unset.
    site_url = models.CharField(_("site address"), max_length=200, blank=True, editable=False)

    # The language the patient used: every later page and email to them is in it.
    language = models.CharField(
        _("language"), max_length=7, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE, editable=False
    )
    # What staff should know about the screening questions the patient answered (set at intake
    # from education.Treatment.screening_status): not yet signed by a named reviewer, or asked in
    # another language than the patient's (then staff call in the patient's language).
    questions_unsigned = models.BooleanField(_("questions not yet medically reviewed"), default=False, editable=False)
    questions_language = models.CharField(
        _("questions asked in"), max_length=7, choices=settings.LANGUAGES, blank=True, editable=False
    )

    # Staff work
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assigned to"),
    )
    worst_flag = models.CharField(_("flag"), max_length=15, choices=FlagKind.choices, blank=True, db_index=True)
    # Set by a red-flag check-in answer, cleared when a provider has dealt with it (workflow.py).
    urgent_since = models.DateTimeField(_("urgent since"), null=True, blank=True, editable=False)
    # The work queue's order: new requests first (10), then by the most serious flag (3..0).
    queue_rank = models.GeneratedField(
        expression=models.Case(models.When(status=Status.NEW, then=models.Value(10)), default=models.Value(0))
        + models.Case(
            *(models.When(worst_flag=kind, then=models.Value(FlagKind.severity(kind))) for kind in FlagKind.values),
            default=models.Value(0),
        )
        # A red-flag check-in answer (consultations/aftercare.py) puts the request above everything.
        + models.Case(models.When(urgent_since__isnull=False, then=models.Value(URGENT_RANK)), default=models.Value(0)),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    decline_reason = models.CharField(_("decline reason"), max_length=12, choices=DeclineReason.choices, blank=True)
    # What staff last asked the patient for: the self-service page offers exactly that.
    info_topic = models.CharField(_("information asked for"), max_length=10, choices=InfoTopic.choices, blank=True)

    objects = ConsultationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("consultation request")
        verbose_name_plural = _("consultation requests")
        permissions = CUSTOM_PERMISSIONS
        indexes = [
            # The queue as staff open it (for_queue()): the first page straight from the index.
            models.Index(fields=["-queue_rank", "created_at", "-id"], name="consultation_queue_order"),
        ]
        constraints = [
            # The guarantee behind booking: one active request per provider and start time.
            models.UniqueConstraint(
                fields=["provider", "slot_start"],
                condition=models.Q(status__in=ACTIVE_STATUSES) & models.Q(slot_start__isnull=False),
                name="one_active_request_per_slot",
                violation_error_message=_("This time has just been taken."),
            ),
            models.CheckConstraint(
                condition=models.Q(slot_start__isnull=True)
                | models.Q(provider__isnull=False, slot_end__gt=models.F("slot_start")),
                name="held_time_has_provider_and_end",
            ),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = self._unused_reference()
        super().save(*args, **kwargs)

    @property
    def call_in_patients_language(self):
        """The patient read the safety questions in another language than their own."""
        return bool(self.questions_language) and self.questions_language != self.language

    @staticmethod
    def _unused_reference():
        # 25^8 ≈ 1.5e11 codes: a clash is rare, but checked rather than assumed.
        while True:
            reference = new_reference()
            if not ConsultationRequest.objects.filter(reference=reference).exists():
                return reference

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def holds_time(self):
        return self.is_active and self.slot_start is not None

    def age_on(self, day):
        return age_on(day, self.date_of_birth)

    @cached_property
    def sorted_flags(self):
        return sorted(self.flags.all(), key=lambda flag: -FlagKind.severity(flag.kind))

    def allowed_transitions(self):
        return TRANSITIONS.get(self.status, set())

    # --- Workflow ---------------------------------------------------------------
    # Each transition checks the current state under a row lock, records who did it
    # and when, and releases the held time when the request closes. Emails go out
    # from consultations.workflow (notices), after the transaction commits.

    @transaction.atomic
    def transition(self, to, *, by=None, by_patient=False, reason="", note="", acknowledged_flag=""):
        locked = type(self).objects.select_for_update().get(pk=self.pk)
        if to not in TRANSITIONS.get(locked.status, set()):
            raise InvalidTransition(
                _("A request that is “%(current)s” cannot become “%(target)s”.")
                % {"current": locked.get_status_display(), "target": Status(to).label}
            )
        previous = locked.status
        self.status = to
        self.status_changed_at = timezone.now()
        fields = ["status", "status_changed_at", "updated_at"]
        if to == Status.DECLINED:
            self.decline_reason = reason
            fields.append("decline_reason")
        self.save(update_fields=fields)
        StatusChange.objects.create(
            consultation=self,
            from_status=previous,
            to_status=to,
            by=by,
            by_patient=by_patient,
            note=note[:500],
            acknowledged_flag=acknowledged_flag,
        )
        return previous

    def accept_policy(self, policy, at, ip):
        """The patient accepted `policy` with the time they chose (issue 27): the version, when and
        from which address, kept as the clinic's evidence. Set on this object; returns the fields,
        for a caller that writes them with update()."""
        accepted = {"policy_version": policy.version, "policy_accepted_at": at, "policy_accepted_ip": ip or None}
        for name, value in accepted.items():
            setattr(self, name, value)
        return accepted

    def inside_cancellation_window(self, now=None):
        """THE cancellation-window rule (issue 27): True when the patient must call to cancel or move.

        Only for a request holding a time under a policy the patient accepted; from `window_hours`
        before the time on (now >= start - window), unless the time was taken (booked, chosen later,
        taken from the waitlist or moved to) less than the policy's grace period ago: a patient who
        takes a time inside the window may still change their mind. Staff are not bound by it; a
        release is allowed."""
        if not self.holds_time or not self.policy_version:
            return False
        policy = CancellationPolicy.of(self.policy_version)
        if policy is None:
            return False
        now = now or timezone.now()
        if now < self.slot_start - datetime.timedelta(hours=policy.window_hours):
            return False
        # Requests from before time_taken_at existed: their time was taken when they were sent.
        taken_at = self.time_taken_at or self.created_at or now
        return now - taken_at >= datetime.timedelta(minutes=policy.grace_minutes)

    def awaits_attendance_confirmation(self, now=None):
        """An approved booking inside the confirm window (CLINIC_CONFIRM_HOURS before its time) that
        the patient has not confirmed: the front desk calls (schedule). False when confirming is off."""
        hours = settings.CLINIC_CONFIRM_HOURS
        if not hours or self.status != Status.APPROVED or self.slot_start is None or self.attendance_confirmed_at:
            return False
        now = now or timezone.now()
        return self.slot_start - datetime.timedelta(hours=hours) <= now < self.slot_start

    def has_started(self, now=None):
        """The booked time has begun: only from then on can the patient have come, or not."""
        return self.slot_start is not None and self.slot_start <= (now or timezone.now())


# The rows below point at their request through a field named `consultation` (never `request`,
# which means the HTTP request everywhere else); the column keeps its first name, request_id.


class ScreeningAnswer(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNSURE = "unsure", _("Not sure")

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="answers", db_column="request_id"
    )
    precaution = models.ForeignKey(Precaution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    question = models.CharField(_("question as asked"), max_length=300)
    answer = models.CharField(_("answer"), max_length=6, choices=Answer.choices)
    flag_kind = models.CharField(_("kind if yes"), max_length=15, choices=FlagKind.choices, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("screening answer")
        verbose_name_plural = _("screening answers")

    def __str__(self):
        return self.question

    @property
    def raised_flag(self):
        """The flag this answer raised, as services.screening_flags() decides: "yes" raises the
        question's own kind, "not sure" asks to discuss it, "no" raises none. Shown next to the
        answer so it always agrees with the flag box."""
        if self.answer == self.Answer.YES:
            return self.flag_kind
        if self.answer == self.Answer.UNSURE and self.flag_kind:
            return FlagKind.DISCUSS
        return ""

    def get_raised_flag_display(self):
        return FlagKind(self.raised_flag).label if self.raised_flag else ""

    @property
    def staff_question(self):
        """The same question in the staff's language, so a reviewer reads what a patient answered in
        another language; "" when the precaution has since been deleted (the snapshot stays)."""
        if self.precaution is None:
            return ""
        return getattr(self.precaution, f"question_{settings.LANGUAGE_CODE}") or ""


class Flag(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="flags", db_column="request_id"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=FlagKind.choices)
    reason = models.CharField(
        _("reason"), max_length=300, help_text=_("The contraindication or precaution it came from.")
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason}"


def photo_path(instance, filename):
    # Random names: nothing about the patient or the upload in the path.
    return f"photos/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{filename.rsplit('.', 1)[-1]}"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Photo(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="photos", db_column="request_id"
    )
    image = models.FileField(_("image"), storage=private_storage, upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Set for photos the patient sent later through their link, when the clinic asked for them.
    additional_info = models.ForeignKey(
        "AdditionalInfo", on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return f"Photo {self.pk} of {self.consultation_id}"

    def delete(self, *args, **kwargs):
        self.image.delete(save=False)
        return super().delete(*args, **kwargs)


class StatusChange(models.Model):
    """Who moved a request from which state to which, and when."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="status_changes", db_column="request_id"
    )
    from_status = models.CharField(max_length=12, choices=Status.choices)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # True when the patient did it through their self-service link (then `by` is empty).
    by_patient = models.BooleanField(_("by the patient"), default=False)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)
    # Approving a flagged request: the flag the approver ticked that they had read.
    acknowledged_flag = models.CharField(_("flag acknowledged"), max_length=15, choices=FlagKind.choices, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @property
    def actor(self):
        return actor_label(self.by, self.by_patient)


PATIENT_ACTOR = _("patient (self-service link)")


def actor_label(user, by_patient=False):
    """Who did something, as the status history and the audit trail both say it."""
    if user is not None:
        return user.get_full_name() or user.get_username()
    return PATIENT_ACTOR if by_patient else _("the system")


class ImmutableModel(models.Model):
    """Rows that are written once: notes and audit events are never edited or removed one by one."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows cannot be deleted.")


class Note(ImmutableModel):
    """An internal staff note. Append-only; never shown to the patient."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="notes", db_column="request_id"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("note"), max_length=4000)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self):
        return f"Note by {self.author} at {self.created_at:%Y-%m-%d %H:%M}"


class AuditEvent(ImmutableModel):
    """Every look at or change to a request's data. Django's LogEntry records changes only."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed request")
        PATIENT_CHANGE = "patient", _("Patient changed request")
        PHOTO_VIEW = "photo_view", _("Viewed photo")
        CHANGE = "change", _("Changed request")
        TRANSITION = "transition", _("Changed status")
        NOTE = "note", _("Added note")
        EXPORT = "export", _("Exported")
        DELETE = "delete", _("Deleted")
        TREATMENT = "treatment", _("Recorded treatment")
        COMPLICATION = "complication", _("Recorded complication")
        URGENT = "urgent", _("Urgent check-in")
        CONTACT = "contact", _("Contacted patient")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    by_patient = models.BooleanField(_("by the patient"), default=False)
    action = models.CharField(max_length=12, choices=Action.choices)
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_column="request_id"
    )
    # Kept when a request is purged, so the trail still says which one it was.
    reference = models.CharField(max_length=REFERENCE_LENGTH, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True, help_text=_("Never health data: e.g. the new status."))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.reference}"

    @property
    def actor(self):
        return actor_label(self.user, self.by_patient)

    @classmethod
    def record(cls, http_request, action, consultation=None, detail=""):
        """An event caused by this HTTP request: its user and address."""
        user = getattr(http_request, "user", None)
        return cls.log(action, consultation, user=user, ip=client_ip(http_request), detail=detail)

    @classmethod
    def log(cls, action, consultation=None, *, user=None, ip=None, detail="", by_patient=False):
        """An event by a staff user, or by no user: the patient through their link (by_patient), or the system."""
        return cls.objects.create(
            user=user if user is not None and user.is_authenticated else None,
            by_patient=by_patient,
            action=action,
            consultation=consultation,
            reference=consultation.reference if consultation else "",
            ip=ip or None,
            detail=detail[:200],
        )


class AdditionalInfo(models.Model):
    """Information the patient added through their self-service link after staff asked for it."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="additional_info", db_column="request_id"
    )
    topic = models.CharField(_("what was asked for"), max_length=10, choices=InfoTopic.choices, blank=True)
    # Empty when the patient answered with photos only (they are Photo rows pointing here).
    text = models.TextField(_("information"), max_length=4000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("information added by the patient")
        verbose_name_plural = _("information added by the patient")

    def __str__(self):
        return f"Added {self.created_at:%Y-%m-%d %H:%M}"


class RateLimitCounter(models.Model):
    """One client's posts in one time window (consultations/ratelimit.py), when there is no Redis.

    Counted with a single INSERT … ON CONFLICT DO UPDATE, atomic across processes, unlike the
    database cache's read-then-write incr(). The key is a hash: no address is stored.
    """

    key = models.CharField(max_length=100, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")

    def __str__(self):
        return f"{self.key}: {self.hits}"


# --- After the visit (issue 26): what was given, aftercare check-ins, complications ------------
# Health data, like the answers: seen by providers (VIEW_HEALTH) only, every look audited. They
# hang on the request with CASCADE, so the retention purge removes them with it.

DEFAULT_CHECK_IN_DAYS = (2, 14)


def parse_days(text):
    """ "2, 14" → [2, 14]; raises ValueError for anything but whole days from 1 to 90."""
    days = sorted({int(part) for part in str(text).replace(" ", "").split(",") if part})
    if not days or days[0] < 1 or days[-1] > 90:
        raise ValueError("Check-in days are whole days from 1 to 90.")
    return days


def validate_days(value):
    try:
        parse_days(value)
    except ValueError:
        raise ValidationError(
            _("Write whole days from 1 to 90, separated by commas (for example “2, 14”)."), code="invalid_days"
        ) from None


class FollowUpPlan(models.Model):
    """When a treatment's patients are asked how they are (days after the treatment). A treatment
    without a plan uses DEFAULT_CHECK_IN_DAYS."""

    treatment = models.OneToOneField(Treatment, on_delete=models.CASCADE, related_name="follow_up_plan")
    check_in_days = models.CharField(
        _("check-in days"),
        max_length=40,
        default="2, 14",
        validators=[validate_days],
        help_text=_("Days after the treatment, separated by commas."),
    )

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")

    def __str__(self):
        return f"{self.treatment}: {self.check_in_days}"

    @staticmethod
    def days_for(treatment):
        plan = FollowUpPlan.objects.filter(treatment=treatment).first()
        return parse_days(plan.check_in_days) if plan else list(DEFAULT_CHECK_IN_DAYS)


def normalise_lot(lot):
    """Lot numbers as printed on the box, without the spaces and case a person types differently."""
    return "".join(str(lot or "").split()).upper()


class TreatmentRecordQuerySet(models.QuerySet):
    def with_lot(self, lot):
        """Every record of this lot (a recall), newest first, with its request loaded."""
        return (
            self.filter(lot_number=normalise_lot(lot))
            .select_related("consultation", "injector")
            .order_by("-given_at", "-pk")
        )


class TreatmentRecord(models.Model):
    """What a provider gave at the visit. Corrected, never overwritten silently: each version is a
    TreatmentRecordRevision (append-only), so the history of a lot number or an amount is kept."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="treatment_records", db_column="request_id"
    )
    product = models.CharField(_("product"), max_length=120)
    areas = models.JSONField(_("areas treated"), default=list)
    amount_ml = models.DecimalField(_("amount (mL)"), max_digits=5, decimal_places=2)
    lot_number = models.CharField(_("lot number"), max_length=40, db_index=True)
    expiry = models.DateField(_("lot expiry date"))
    injector = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+", verbose_name=_("injector"))
    given_at = models.DateTimeField(_("given at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveSmallIntegerField(default=1)

    objects = TreatmentRecordQuerySet.as_manager()

    # What a revision keeps of each version.
    TRACKED = ("product", "areas", "amount_ml", "lot_number", "expiry", "injector_id", "given_at")

    class Meta:
        ordering = ["given_at", "pk"]
        verbose_name = _("treatment record")
        verbose_name_plural = _("treatment records")
        constraints = [models.CheckConstraint(condition=models.Q(amount_ml__gt=0), name="treatment_amount_positive")]

    def __str__(self):
        return f"{self.consultation} {self.product} lot {self.lot_number}"

    def snapshot(self):
        """This version's values as JSON-ready data (for the revision row)."""
        return json.loads(json.dumps({name: getattr(self, name) for name in self.TRACKED}, cls=DjangoJSONEncoder))


class TreatmentRecordRevision(ImmutableModel):
    """One version of a treatment record: the first as recorded, then each correction with its reason."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    data = models.JSONField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)

    class Meta:
        ordering = ["record", "number"]
        verbose_name = _("treatment record version")
        verbose_name_plural = _("treatment record versions")
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="one_revision_number_per_record")]

    def __str__(self):
        return f"{self.record_id} v{self.number}"


class WarningSign(models.TextChoices):
    """The signs a check-in asks about plainly. Any of them is a red flag: the patient is told what
    to do at once and the request becomes urgent (aftercare.answer_check_in)."""

    VISION = "vision", _("Any change in my vision, or pain around the eye")
    SKIN_COLOUR = "skin_colour", _("My skin looks blotchy, pale, dusky, blue or darker than usual")
    PAIN = "pain", _("Severe pain, or pain that keeps growing")
    BREATHING = "breathing", _("Trouble breathing, or swelling of my lips, tongue or throat")
    REDNESS = "redness", _("Redness or warmth that is spreading")
    FEVER = "fever", _("A fever or feeling unwell")
    LUMPS = "lumps", _("New hard lumps or bumps")


class CheckInQuerySet(models.QuerySet):
    def to_invite(self, now):
        """Due check-ins nobody was invited to yet."""
        return self.filter(due_at__lte=now, invited_at__isnull=True, answered_at__isnull=True)

    def unanswered(self, now):
        """Asked more than NO_ANSWER_DAYS ago and still not answered: a row to call about, not an alarm."""
        return self.filter(
            answered_at__isnull=True, invited_at__lte=now - datetime.timedelta(days=CheckIn.NO_ANSWER_DAYS)
        )

    def unopened_urgent(self, now, after):
        """Urgent answers no provider has opened, last sent to staff at least `after` ago."""
        return self.filter(urgent=True, opened_at__isnull=True, staff_alerted_at__lte=now - after)


class CheckIn(models.Model):
    """A question to the patient N days after their treatment: how it looks and feels, and the warning signs."""

    class Feeling(models.TextChoices):
        SETTLED = "settled", _("It looks and feels normal")
        AS_EXPECTED = "as_expected", _("Some swelling, bruising or tenderness that is getting better")
        WORSE = "worse", _("It is getting worse, or I am worried")

    # A check-in nobody answered within this many days of being asked shows as "no answer".
    NO_ANSWER_DAYS = 3

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="check_ins", db_column="request_id"
    )
    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="check_ins")
    day = models.PositiveSmallIntegerField(_("day"))
    due_at = models.DateTimeField(_("due"), db_index=True)
    invited_at = models.DateTimeField(_("asked"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    feeling = models.CharField(_("how it looks and feels"), max_length=12, choices=Feeling.choices, blank=True)
    signs = models.JSONField(_("warning signs"), default=list, blank=True)
    note = models.TextField(_("anything else"), max_length=1000, blank=True)
    urgent = models.BooleanField(_("red flag"), default=False)
    staff_alerted_at = models.DateTimeField(null=True, blank=True)
    staff_alerts = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(_("opened by a provider"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [models.UniqueConstraint(fields=["record", "day"], name="one_check_in_per_record_and_day")]

    def __str__(self):
        return f"{self.consultation} day {self.day}"

    def state(self, now=None):
        """What staff see: answered (urgent or not), waiting, no answer, or not yet due."""
        now = now or timezone.now()
        if self.answered_at:
            return "urgent" if self.urgent else "answered"
        if self.invited_at is None:
            return "scheduled"
        if now - self.invited_at > datetime.timedelta(days=self.NO_ANSWER_DAYS):
            return "no_answer"
        return "waiting"

    STATE_LABELS = {
        "urgent": _("Answered: red flag"),
        "answered": _("Answered"),
        "scheduled": _("Not asked yet"),
        "waiting": _("Asked, waiting for an answer"),
        "no_answer": _("No answer"),
    }

    def get_state_display(self, now=None):
        return self.STATE_LABELS[self.state(now)]

    def get_signs_display(self):
        return [str(WarningSign(sign).label) for sign in self.signs if sign in WarningSign.values]


class Complication(models.Model):
    """An adverse event a provider logs, with what a MedWatch (FDA Form 3500) report asks for."""

    class Kind(models.TextChoices):
        VASCULAR = "vascular", _("Suspected vascular occlusion (blocked blood vessel)")
        VISION = "vision", _("Vision change or loss")
        INFECTION = "infection", _("Infection")
        NODULE = "nodule", _("Lump or nodule")
        HYPERSENSITIVITY = "allergy", _("Allergic or hypersensitivity reaction")
        OTHER = "other", _("Other")

    class Action(models.TextChoices):
        HYALURONIDASE = "hyaluronidase", _("Hyaluronidase")
        EMERGENCY = "emergency", _("Sent to the emergency department")
        REFERRAL = "referral", _("Referred to a specialist (e.g. ophthalmologist)")
        ANTIBIOTICS = "antibiotics", _("Antibiotics")
        STEROIDS = "steroids", _("Steroids")
        OTHER = "other", _("Other (see details)")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        RECOVERING = "recovering", _("Recovering")
        NOT_RECOVERED = "not_recovered", _("Not recovered")
        SEQUELAE = "sequelae", _("Recovered with lasting effects")
        UNKNOWN = "unknown", _("Unknown")

    class Seriousness(models.TextChoices):
        # The outcomes box of MedWatch Form 3500, section B.2.
        LIFE_THREATENING = "life_threatening", _("Life-threatening")
        HOSPITALISATION = "hospitalisation", _("Hospitalization (initial or prolonged)")
        DISABILITY = "disability", _("Disability or permanent damage")
        INTERVENTION = "intervention", _("Required intervention to prevent permanent impairment or damage")
        OTHER = "other_serious", _("Other serious or important medical event")

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="complications", db_column="request_id"
    )
    record = models.ForeignKey(
        TreatmentRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complications",
        verbose_name=_("treatment"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    onset_at = models.DateTimeField(_("onset"))
    description = models.TextField(_("what happened"), max_length=4000)
    actions = models.JSONField(_("what was done"), default=list, blank=True)
    action_details = models.TextField(_("details of what was done"), max_length=2000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices)
    seriousness = models.JSONField(_("seriousness (MedWatch)"), default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["onset_at", "pk"]
        verbose_name = _("complication")
        verbose_name_plural = _("complications")

    def __str__(self):
        return f"{self.consultation} {self.get_kind_display()}"

    def get_actions_display(self):
        return [str(self.Action(a).label) for a in self.actions if a in self.Action.values]

    def get_seriousness_display(self):
        return [str(self.Seriousness(s).label) for s in self.seriousness if s in self.Seriousness.values]


class ProviderFeedQuerySet(models.QuerySet):
    def live(self):
        return self.filter(token_hash__isnull=False)

    def for_token(self, token):
        """The live feed this secret opens, or None. Looked up by its hash: the secret is not stored."""
        if not token or len(token) > 200:
            return None
        return self.live().select_related("provider").filter(token_hash=ProviderFeed.hash_token(token)).first()


class ProviderFeed(models.Model):
    """A provider's calendar subscription (consultations/calfeed.py): a secret URL, its hash kept here.

    The secret is shown once, when it is made; rotating makes a new one (the old URL stops at
    once) and revoking clears it. The feed lists times and references only, never a patient.
    """

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="calendar_feed")
    # SHA-256 of the secret in the URL; empty (NULL) when revoked. A stolen database opens no feed.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    rotated_at = models.DateTimeField(_("secret made"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ProviderFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"Calendar feed of {self.provider}"

    @property
    def is_live(self):
        return self.token_hash is not None

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, provider, now=None):
        """A new secret for the provider's feed (made or rotated); returns it: it is never stored."""
        token = secrets.token_urlsafe(32)
        now = now or timezone.now()
        cls.objects.update_or_create(
            provider=provider,
            defaults={"token_hash": cls.hash_token(token), "rotated_at": now, "revoked_at": None},
            create_defaults={"token_hash": cls.hash_token(token), "rotated_at": now, "created_at": now},
        )
        return token

    def revoke(self, now=None):
        self.token_hash = None
        self.revoked_at = now or timezone.now()
        self.save(update_fields=["token_hash", "revoked_at"])


# --- The waitlist (issue 27): freed times offered to patients who asked for an earlier one ---------
# The patient's preferences are read in the clinic's zone: "mornings" means the clinic's mornings,
# whatever zone a server or a patient's browser is in.


class DayPart(models.IntegerChoices):
    """Parts of the day, as bits (an entry keeps the parts it wants in one number)."""

    MORNING = 1, _("Morning (before noon)")
    AFTERNOON = 2, _("Afternoon (noon to 5 PM)")
    EVENING = 4, _("Evening (from 5 PM)")

    @classmethod
    def of(cls, local_time):
        """The part of the day a wall-clock time (in the clinic's zone) falls in."""
        if local_time < datetime.time(12):
            return cls.MORNING
        if local_time < datetime.time(17):
            return cls.AFTERNOON
        return cls.EVENING


def weekday_bit(weekday):
    """Monday (0) is bit 1, Sunday (6) bit 64: an entry keeps its chosen days in one number."""
    return 1 << weekday


def bits_of(values):
    return sum({int(value) for value in values})


class WaitlistEntryQuerySet(models.QuerySet):
    def of(self, consultation):
        """The request's place on the list (at most one: a database rule), whatever its status."""
        return self.filter(consultation=consultation, left_at__isnull=True)

    def active(self):
        """On the list now: not left, and the request still open."""
        return self.filter(left_at__isnull=True, consultation__status__in=ACTIVE_STATUSES)

    def matching(self, provider_id, start):
        """Who would take this freed time (a provider's start), in the order they joined.

        The time suits their days and parts of the day (in the clinic's zone; none chosen means any),
        their provider (or any), and it is earlier than the time they hold (or they hold none). A
        booking agreed by phone without a time is changed by phone, so it is never offered one.
        """
        local = start.astimezone(clinic_tz())
        day, part = weekday_bit(local.weekday()), DayPart.of(local.time())
        return (
            self.active()
            .annotate(day_hit=models.F("days").bitand(day), part_hit=models.F("parts").bitand(part))
            .filter(models.Q(days=0) | models.Q(day_hit__gt=0))
            .filter(models.Q(parts=0) | models.Q(part_hit__gt=0))
            .filter(models.Q(provider__isnull=True) | models.Q(provider_id=provider_id))
            .filter(models.Q(consultation__slot_start__isnull=True) | models.Q(consultation__slot_start__gt=start))
            .exclude(consultation__status=Status.APPROVED, consultation__slot_start__isnull=True)
            .order_by("joined_at", "pk")
        )

    def not_offered(self, provider_id, start):
        """Entries that have not had their chance at this time yet (an offer pending or let expire).
        A patient who lost a race for it ("taken") may be offered it again if it frees again."""
        had_it = WaitlistOffer.objects.filter(
            entry=models.OuterRef("pk"),
            provider_id=provider_id,
            start=start,
            state__in=[OfferState.PENDING, OfferState.EXPIRED],
        )
        return self.filter(~models.Exists(had_it))


class WaitlistEntry(models.Model):
    """A patient asked to be told when an earlier time opens (on the form or through their link)."""

    class Left(models.TextChoices):
        PATIENT = "patient", _("Left the list")
        ACCEPTED = "accepted", _("Took an offered time")
        CLOSED = "closed", _("Request closed")

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="waitlist_entries", db_column="request_id"
    )
    # None: any provider.
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("provider"),
    )
    # Bits of weekday_bit() and DayPart; 0 means any day / any part of the day.
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    parts = models.PositiveSmallIntegerField(_("parts of the day"), default=0)
    # The order offers go out in; changing one's preferences keeps one's place.
    joined_at = models.DateTimeField(_("joined"), default=timezone.now, db_index=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    left_reason = models.CharField(_("why left"), max_length=8, choices=Left.choices, blank=True)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation"], condition=models.Q(left_at__isnull=True), name="one_waitlist_place_per_request"
            ),
            models.CheckConstraint(
                condition=models.Q(days__lte=127, parts__lte=7), name="waitlist_days_and_parts_are_bits"
            ),
        ]

    def __str__(self):
        return f"Waitlist: {self.consultation_id} since {self.joined_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self):
        return self.left_at is None

    @property
    def any_time(self):
        return not self.days and not self.parts

    @property
    def weekdays(self):
        """The chosen weekdays (0 = Monday), empty for any day."""
        return [day for day in range(7) if self.days & weekday_bit(day)]

    @property
    def day_parts(self):
        return [part for part in DayPart if self.parts & part]

    def get_preferences_display(self):
        """E.g. "Any time", or "Monday, Friday · Morning (before noon)"."""
        if self.any_time:
            return str(_("Any time"))
        days = ", ".join(str(WorkingHours.Weekday(day).label) for day in self.weekdays) or str(_("Any day"))
        parts = ", ".join(str(part.label) for part in self.day_parts) or str(_("any part of the day"))
        return f"{days} · {parts}"


class OfferState(models.TextChoices):
    PENDING = "pending", _("Waiting for the patient")
    ACCEPTED = "accepted", _("Accepted")
    TAKEN = "taken", _("Taken by someone else")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OFFER_SALT = "consultations.waitlist-offer"


class WaitlistOfferQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=OfferState.PENDING)

    def for_time(self, provider_id, start):
        return self.filter(provider_id=provider_id, start=start)

    def due_to_expire(self, now):
        return self.pending().filter(expires_at__lte=now)


class WaitlistOffer(models.Model):
    """One freed time offered to one waitlisted patient, by email with a one-click link.

    The link carries a signed offer id (token), never the self-service token or anything about
    the patient; it works while the offer is pending and not past expires_at.
    """

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+", verbose_name=_("provider"))
    start = models.DateTimeField(_("offered time"), db_index=True)
    end = models.DateTimeField(_("offered time ends"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    state = models.CharField(_("state"), max_length=9, choices=OfferState.choices, default=OfferState.PENDING)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = WaitlistOfferQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        constraints = [
            # Two runs offering the same freed time at once never mail one patient twice.
            models.UniqueConstraint(
                fields=["entry", "provider", "start"],
                condition=models.Q(state="pending"),
                name="one_pending_offer_per_entry_and_time",
            ),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="offer_ends_after_start"),
        ]

    def __str__(self):
        return f"Offer {self.pk} ({self.get_state_display()})"

    @property
    def token(self):
        return signing.Signer(salt=OFFER_SALT).sign_object(self.pk)

    @classmethod
    def for_token(cls, token):
        """The offer a link names, or None for anything that is not a valid token."""
        if not token or len(token) > 200:
            return None
        try:
            pk = signing.Signer(salt=OFFER_SALT).unsign_object(token)
        except signing.BadSignature:
            return None
        if not isinstance(pk, int):
            return None
        return cls.objects.select_related("entry__consultation", "provider").filter(pk=pk).first()

    def is_open(self, now=None):
        return self.state == OfferState.PENDING and self.expires_at > (now or timezone.now())
