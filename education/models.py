"""Structured, cited treatment content.

A treatment page is built from records, not one big text: sections of known
kinds, treatment areas with their regulatory status, side effects, and the
contraindications/precautions whose screening questions the consultation form
asks. The page and the form read the same rows, so they never disagree.
"""

import functools
import hashlib
import json
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clinic.formatting import clinic_today

from .rendering import reading_grade, render_markdown

# Organisations a source's title or publisher may name, and the addresses that belong to them.
# A label naming one of these must link to one of its addresses: "AAD" on practo.com would
# tell patients a third party's page is the society's own. FDA's e-mail bulletins are sent
# through GovDelivery under FDA's own account.
ORGANISATION_ADDRESSES = {
    "FDA": ("fda.gov", "content.govdelivery.com/accounts/USFDA/"),
    "Food and Drug Administration": ("fda.gov",),
    "AAD": ("aad.org",),
    "American Academy of Dermatology": ("aad.org",),
    "ASPS": ("plasticsurgery.org",),
    "American Society of Plastic Surgeons": ("plasticsurgery.org",),
    "Merz": ("merz.com", "merzaesthetics.com", "belotero.ca", "belotero.com"),
    "PubMed": ("pubmed.gov", "pubmed.ncbi.nlm.nih.gov"),
    "PubMed Central": ("pmc.ncbi.nlm.nih.gov",),
}


def address_belongs_to(url, organisation):
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    where = host + parts.path
    for allowed in ORGANISATION_ADDRESSES[organisation]:
        domain, _slash, path = allowed.partition("/")
        if (host == domain or host.endswith("." + domain)) and where.startswith(host + ("/" + path if path else "")):
            return True
    return False


def misattributed_organisations(label, url):
    """Organisations the label names whose addresses the URL is not one of."""
    text, named = f" {label} ", []
    for org in sorted(ORGANISATION_ADDRESSES, key=len, reverse=True):  # "PubMed Central" before "PubMed"
        pattern = rf"(?<![A-Za-z]){re.escape(org)}(?![a-z])"
        if re.search(pattern, text):
            named.append(org)
            text = re.sub(pattern, " ", text)
    return [org for org in named if not address_belongs_to(url, org)]


class Source(models.Model):
    """A reference a medical statement rests on (label, study, FDA page)."""

    key = models.SlugField(_("key"), max_length=40, unique=True, help_text=_("Short id, e.g. fda-p090016."))
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    date = models.CharField(
        _("date"), max_length=60, blank=True, help_text=_('As published, e.g. "2023-09-27". Leave empty if undated.')
    )
    copy_of = models.CharField(
        _("copy of"),
        max_length=200,
        blank=True,
        help_text=_(
            "Only for a reproduction on another site, when no original is available: whose text it is, e.g. "
            '"Merz labeling". The page then says it is a copy. Title and publisher describe the copy\'s own site.'
        ),
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return f"{self.title} ({self.publisher})"

    def as_reference(self, number):
        return {
            "number": number,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
            "copy_of": self.copy_of,
        }

    def clean(self):
        wrong = misattributed_organisations(f"{self.title} {self.publisher}", self.url)
        if wrong:
            raise ValidationError(
                {
                    "url": _("The title or publisher names %(orgs)s, but this address is not theirs.")
                    % {"orgs": ", ".join(wrong)}
                },
                code="misattributed",
            )


class SiteMode(models.Model):
    """Whether this install is a demo (invented data): one row, set by `seed_demo`.

    In the database rather than an environment variable, so it cannot drift from the data it
    describes: the install that holds the demo reviewer and the invented requests says so on every
    page, and only there does a demo reviewer's signature count (education.E001).
    """

    demo = models.BooleanField(_("demo site (invented data)"), default=False)

    class Meta:
        verbose_name = _("site mode")
        verbose_name_plural = _("site mode")

    def __str__(self):
        return str(_("Demo site")) if self.demo else str(_("Clinic site"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def is_demo(cls):
        """From the database. Every page's banner asks once per content version instead
        (clinic_tags.is_demo_site(): a saved SiteMode starts a new content version)."""
        return cls.objects.filter(pk=1, demo=True).exists()

    @classmethod
    def demo_in_database(cls):
        """The same question inside a query (no Python round trip: the database answers it)."""
        return models.Exists(cls.objects.filter(pk=1, demo=True))

    @classmethod
    def set_demo(cls, demo=True):
        cls(pk=1, demo=demo).save()


def signed_reviews():
    """Approvals that count as signed for the public: by a named reviewer (not a role typed into a
    migration), and by a demo reviewer only on a demo site."""
    return models.Q(reviewer__isnull=False) & (models.Q(reviewer__demo=False) | SiteMode.demo_in_database())


class Reviewer(models.Model):
    """A person who signs the medical content: a named clinician with credentials and a staff login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="medical_reviewer",
        verbose_name=_("staff user"),
        help_text=_("The login this person approves pages with. They also need the permission to approve."),
    )
    name = models.CharField(
        _("full name"), max_length=120, help_text=_("As patients should read it, e.g. Dr Ana Ruiz.")
    )
    credentials = models.CharField(
        _("credentials"), max_length=160, help_text=_("e.g. MD, board-certified dermatologist")
    )
    demo = models.BooleanField(
        _("demo reviewer"),
        default=False,
        editable=False,
        help_text=_("An invented reviewer made by seed_demo: their approvals count only on a demo site."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("medical reviewer")
        verbose_name_plural = _("medical reviewers")

    def __str__(self):
        return f"{self.name}, {self.credentials}"


class TreatmentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def public(self):
        """Published treatments with the version a reviewer approved: what the public sees.
        A published page nobody signed yet is listed too: it shows as waiting for review."""
        return self.published().select_related("approved__reviewer")

    def for_form(self):
        """Published treatments for the consultation form: their approval without the signed page,
        which the form does not show (its questions come from TreatmentReview.screening())."""
        return self.public().defer("approved__content")

    def with_signed_languages(self):
        """Annotate ``signed_<code>`` for each other language: whether a reviewer ever signed the page in it."""
        return self.annotate(
            **{
                f"signed_{code}": models.Exists(
                    TreatmentReview.objects.filter(
                        signed_reviews(),
                        treatment=models.OuterRef("pk"),
                        language=code,
                        translates=models.OuterRef("approved"),
                    )
                )
                for code, _name in settings.LANGUAGES
                if code != settings.LANGUAGE_CODE
            }
        )

    def with_reviews_in(self, language):
        """Each treatment's approvals in `language`, newest first (``Treatment.review_in``), in one query."""
        reviews = TreatmentReview.objects.filter(signed_reviews(), language=language).order_by("-approved_at", "-pk")
        return self.prefetch_related(models.Prefetch("reviews", queryset=reviews, to_attr="_reviews_in_language"))

    def needs_review(self):
        return self.filter(review_status=Treatment.ReviewStatus.NEEDS_REVIEW)

    def review_overdue(self, today=None):
        """Published pages whose signed version is past its next-review date."""
        today = today or clinic_today()
        return self.published().filter(approved__next_review_on__lt=today)

    def with_content(self):
        """Everything the detail page shows, in a fixed number of queries."""
        ordered_sources = models.Prefetch("sources", queryset=Source.objects.order_by("pk"))
        return self.prefetch_related(
            models.Prefetch("sections", queryset=Section.objects.prefetch_related(ordered_sources)),
            models.Prefetch("areas", queryset=TreatmentArea.objects.prefetch_related(ordered_sources)),
            models.Prefetch("side_effects", queryset=SideEffect.objects.prefetch_related(ordered_sources)),
            models.Prefetch("precautions", queryset=Precaution.objects.prefetch_related(ordered_sources)),
        )

    def visible_to(self, user):
        """Staff preview drafts; everyone else sees published treatments only."""
        if user.is_authenticated and user.is_staff:
            return self.select_related("approved__reviewer")
        return self.public()


# The medical reviewer's sign-off (Treatment.Meta.permissions), as has_perm() names it. Spelled
# here only: consultations.permissions, which names every other permission and role, takes it from here.
APPROVE_TREATMENT = "education.approve_treatment"


class Treatment(models.Model):
    """A treatment page. Editors change its records freely; patients see the last approved version.

    Any change to what the page says (the records below, the name or summary, a cited source)
    puts the page in "needs review" (``refresh_review_status``). The public page, the cards
    and the search data keep showing ``approved``, the content as a reviewer signed it, until a
    reviewer approves the current records (``approve``). Each approval is kept, with who signed it.
    """

    class ReviewStatus(models.TextChoices):
        NEEDS_REVIEW = "needs_review", _("Needs medical review")
        REVIEWED = "reviewed", _("Reviewed")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = models.TextField(
        _("summary"), max_length=400, help_text=_("One or two plain sentences for cards and search results.")
    )
    published = models.BooleanField(_("published"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    labeled_min_age = models.PositiveSmallIntegerField(
        _("labeled minimum age"),
        null=True,
        blank=True,
        help_text=_(
            "Where the product labeling does not establish safety and effectiveness below an age, that age: "
            "younger patients' requests are flagged for discussion. Empty for none."
        ),
    )
    # "Book again" (issue 27): weeks after the visit at which the patient is invited to book again,
    # from the product's labeled duration (the shipped guides cite it). Empty: no recall email.
    recall_weeks = models.PositiveSmallIntegerField(
        _("book-again interval (weeks)"),
        null=True,
        blank=True,
        help_text=_(
            "Weeks after a completed treatment at which the patient gets a “book again” email, from the "
            "product's labeled duration. Empty for none."
        ),
    )
    review_status = models.CharField(
        _("review status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.NEEDS_REVIEW,
        editable=False,
    )
    reviewed_on = models.DateField(_("medically reviewed on"), null=True, blank=True, editable=False)
    approved = models.ForeignKey(
        "TreatmentReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("approved version"),
    )
    author = models.CharField(
        _("written by"), max_length=160, blank=True, help_text=_("Who wrote the page, as patients should read it.")
    )
    translator = models.CharField(
        _("translated by"),
        max_length=160,
        blank=True,
        help_text=_("Who translated it, for each language other than English."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        permissions = [("approve_treatment", _("Can approve medical content as a reviewer"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("education:treatment_detail", kwargs={"slug": self.slug})

    # --- content -----------------------------------------------------------------------------

    def page(self):
        """The detail page as data, built from the current records (plain JSON-ready values).

        References are numbered in order of first citation down the page, the way a
        printed leaflet does it. Staff preview this; an approval stores it (``TreatmentReview``).
        Labels are written in the active language, so a snapshot is one language's page.
        Call on a treatment loaded with ``with_content()``.
        """
        numbers, references = {}, []

        def cite(item):
            cited = []
            for source in item.sources.all():
                if source.pk not in numbers:
                    numbers[source.pk] = len(references) + 1
                    references.append(source.as_reference(numbers[source.pk]))
                cited.append(numbers[source.pk])
            return cited

        records = {
            Section.Kind.AREAS: self.areas.all(),
            Section.Kind.SIDE_EFFECTS: self.side_effects.all(),
            Section.Kind.CONTRAINDICATIONS: self.precautions.all(),
        }
        sections = []
        for section in self.sections.all():
            sections.append(
                {
                    "kind": section.kind,
                    "anchor": section.anchor,
                    "heading": str(section.heading),
                    "html": str(section.html),
                    "citations": cite(section),
                    "records": [{**item.as_record, "citations": cite(item)} for item in records.get(section.kind, ())],
                }
            )
        # Every screening question, whether or not a section lists it: the intake form asks these.
        screening = [precaution.as_record for precaution in self.precautions.all() if precaution.question]
        return {
            "name": self.name,
            "summary": self.summary,
            # Not shown on the page, but signed with it: the intake's age flag reads it from here.
            "labeled_min_age": self.labeled_min_age,
            # Credits: who wrote it, and who translated it when this is not the original language.
            "author": self.author,
            "translator": self.translator if translation.get_language() != settings.LANGUAGE_CODE else "",
            "sections": sections,
            "references": references,
            "screening": screening,
        }

    def current_content(self, language=settings.LANGUAGE_CODE):
        """(page, fingerprint) as they would be approved now in `language` (the site's own by default)."""
        loaded = Treatment.objects.with_content().get(pk=self.pk)
        with translation.override(language):
            return loaded.page(), loaded.fingerprint()

    def fingerprint(self):
        """A digest of everything the page says, as editors typed it. Call on a ``with_content()`` object.

        Review status compares this rather than the rendered page, so a new Markdown version or a
        reworded label in the code does not send every page back to the reviewer.
        """

        def cited(item):
            return [[s.pk, s.title, s.publisher, s.url, s.date, s.copy_of] for s in item.sources.all()]

        said = {
            "treatment": [self.name, self.summary, self.labeled_min_age],
            "sections": [[x.pk, x.order, x.kind, x.title, x.body, cited(x)] for x in self.sections.all()],
            "areas": [[x.pk, x.order, x.name, x.product, x.status, x.description, cited(x)] for x in self.areas.all()],
            "side_effects": [
                [x.pk, x.order, x.name, x.frequency, x.duration, x.description, cited(x)]
                for x in self.side_effects.all()
            ],
            "precautions": [
                [x.pk, x.order, x.kind, x.description, x.question, cited(x)] for x in self.precautions.all()
            ],
        }
        return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()

    def page_for_preview(self):
        """The current records as a page, in the visitor's language (staff preview)."""
        return Treatment.objects.with_content().get(pk=self.pk).page()

    def public_page(self):
        """What the public sees: the signed snapshot (None while no named reviewer approved it)."""
        approval = self.signed_approval
        return approval.content if approval else None

    def waiting_help_section(self):
        """The shipped "Get help at once" text, for a page still waiting for its first signature:
        emergency advice is not withheld, and the page says it is not yet reviewed."""
        section = self.sections.filter(kind=Section.Kind.GET_HELP).first()
        if section is None:
            return None
        return {"kind": section.kind, "anchor": section.anchor, "heading": str(section.heading),
                "html": str(section.html), "citations": []}  # fmt: skip

    def approved_labeled_min_age(self):
        """The age under which the labeling has no data, as the intake's flag uses it.

        The value a reviewer signed (the approved page), not the live field: an editor's change is
        not medical review. The live value counts only when it is stricter (higher), because
        flagging more requests for discussion is safe before review and flagging fewer is not.
        A page approved before the value was part of it has only the live value."""
        if not self.approved_id:
            return self.labeled_min_age
        content = TreatmentReview.objects.filter(pk=self.approved_id).values_list("content", flat=True).first() or {}
        if "labeled_min_age" not in content:
            return self.labeled_min_age
        ages = [age for age in (content["labeled_min_age"], self.labeled_min_age) if age]
        return max(ages, default=None)

    def screening_precautions(self):
        """The precautions the intake form asks about, as a reviewer approved them.

        The same records the public page lists, in their approved wording: a question added or
        reworded since is asked once a reviewer signs it, and the flag a "yes" raises carries the
        approved kind and text. A treatment never approved (a draft) asks its current questions.
        """
        # The questions as approved in the reader's language when that version exists.
        review = self.public_review(translation.get_language())
        screening = review.screening() if review is not None else None
        if screening is None:
            return list(self.precautions.exclude(question=""))
        live = {precaution.pk: precaution for precaution in self.precautions.all()}
        asked = []
        for record in screening:
            precaution = live.get(record["id"])
            if precaution is None:
                continue  # deleted since: its answers could not be linked to it
            precaution.kind, precaution.description, precaution.question = (
                record["kind"],
                record["description"],
                record["question"],
            )
            asked.append(precaution)
        return asked

    # --- review workflow -----------------------------------------------------------------------

    def refresh_review_status(self):
        """Needs review whenever the current records differ from what a reviewer approved."""
        approved = TreatmentReview.objects.filter(pk=self.approved_id).values_list("fingerprint", flat=True).first()
        current = Treatment.objects.with_content().get(pk=self.pk).fingerprint()
        status = self.ReviewStatus.REVIEWED if approved == current else self.ReviewStatus.NEEDS_REVIEW
        if status != self.review_status:
            # update(): a save() would send post_save, which is what called us.
            Treatment.objects.filter(pk=self.pk).update(review_status=status)
            self.review_status = status
        return status

    @transaction.atomic
    def approve(self, *, by, language=settings.LANGUAGE_CODE, attestation="", next_review_on=None):
        """A reviewer signs the current content in `language`: it becomes that language's public page,
        dated today. Each language is reviewed on its own; a translation is signed only when complete."""
        reviewer = getattr(by, "medical_reviewer", None)
        if reviewer is None or not by.has_perm(APPROVE_TREATMENT):
            raise PermissionError("Only a named medical reviewer with the approve permission can approve content.")
        if language != settings.LANGUAGE_CODE and not self.is_translated_into(language):
            raise ValidationError(
                _("This page is not fully translated into %(language)s yet: every record needs its text first.")
                % {"language": language_name(language)},
                code="translation_incomplete",
            )
        today = clinic_today()
        content, fingerprint = self.current_content(language)
        signed = {
            "treatment": self,
            "reviewer": reviewer,
            "reviewer_name": reviewer.name,
            "reviewer_credentials": reviewer.credentials,
            "reviewed_on": today,
            "next_review_on": next_review_on or default_next_review(today),
            "attestation": attestation,
            "content": content,
            "fingerprint": fingerprint,
        }
        if language != settings.LANGUAGE_CODE:
            english = self.signed_approval
            if english is None:
                raise ValidationError(
                    _("Approve the English page first: a translation is signed against the English version."),
                    code="english_unsigned",
                )
            # The English version this translates: a later English approval makes it out of date.
            review = TreatmentReview.objects.create(language=language, translates=english, **signed)
            self.save(update_fields=["updated_at"])  # a new version of the page: new cache entries
            return review
        review = TreatmentReview.objects.create(**signed)
        self.approved, self.reviewed_on, self.review_status = review, today, self.ReviewStatus.REVIEWED
        self.save(update_fields=["approved", "reviewed_on", "review_status", "updated_at"])
        return review

    @property
    def signed_approval(self):
        """The English approval the public sees: by a named reviewer (a demo one only on a demo
        site). None before that: the page then shows as waiting for review."""
        approval = self.approved if self.approved_id else None
        if approval is None or approval.reviewer_id is None:
            return None  # a role typed into an old migration, not a person who signed
        if approval.reviewer.demo and not SiteMode.is_demo():
            return None
        return approval

    @property
    def reviewer(self):
        """Who signed the version the public sees, as a byline."""
        approval = self.signed_approval
        return approval.byline if approval else ""

    def screening_status(self, language):
        """(unsigned, questions' language) of the questions the form asks a reader of `language`:
        whether no named reviewer signed them yet, and the language they are asked in."""
        review = self.public_review(language)
        if review is None:
            # The current (shipped) questions: in the reader's language once every record has its text there.
            if language == settings.LANGUAGE_CODE or self.is_translated_into(language):
                return True, language
            return True, settings.LANGUAGE_CODE
        return False, review.language

    # --- languages -----------------------------------------------------------------------------
    # Content is translated field by field (education/translation.py) and reviewed language by
    # language: a reader sees a page in their language only as a reviewer signed it there, whole;
    # otherwise the approved English page, marked as English. Never a mix.

    def is_translated_into(self, language):
        """Every record of the page, and every source it cites, has its text in `language`."""
        loaded = Treatment.objects.with_content().get(pk=self.pk)
        records = [loaded]
        for related in (loaded.sections, loaded.areas, loaded.side_effects, loaded.precautions):
            for record in related.all():
                records.append(record)
                records.extend(record.sources.all())
        return all(translated_in(record, language) for record in records)

    def latest_review_in(self, language):
        """The newest signed approval in `language` (current or not), or None."""
        if language == settings.LANGUAGE_CODE:
            return self.signed_approval
        if hasattr(self, "_reviews_in_language"):  # TreatmentQuerySet.with_reviews_in()
            return next((r for r in self._reviews_in_language if r.language == language), None)
        return self.reviews.filter(signed_reviews(), language=language).order_by("-approved_at", "-pk").first()

    def review_in(self, language):
        """The approval the public sees in `language`, or None. A translation counts only while it
        translates the English version the public sees: an approved English change sends it back."""
        review = self.latest_review_in(language)
        if review is None or language == settings.LANGUAGE_CODE:
            return review
        english = self.signed_approval
        return review if english is not None and review.translates_id == english.pk else None

    def public_review(self, language):
        """The approval the public sees in `language` (else the signed English page's), or None."""
        review = self.review_in(language) if language != settings.LANGUAGE_CODE else None
        return review if review is not None else self.signed_approval

    def public_version(self, language):
        """(page, its language, its approval): the reader's language when a reviewer signed it there,
        else the approved English page; (None, default language, None) before any approval."""
        review = self.public_review(language)
        if review is None:
            return None, settings.LANGUAGE_CODE, None
        # The signed English page when `language` has no current approval of its own.
        shown = review.language
        return review.content, shown, review

    def translation_status(self, language):
        """Whether the current `language` text is what a reviewer signed there, as a translation of
        the English version the public sees."""
        review = self.review_in(language)
        if review is not None and review.fingerprint == self.current_content(language)[1]:
            return self.ReviewStatus.REVIEWED
        return self.ReviewStatus.NEEDS_REVIEW


class TreatmentReview(models.Model):
    """One approval: the page as the reviewer signed it, who signed it, and when. Never edited.

    ``content`` is the page in one language as plain data (``Treatment.page``): the public view
    renders it, so later edits cannot reach patients unsigned.
    """

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="reviews")
    language = models.CharField(
        _("language"), max_length=7, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE, editable=False
    )
    reviewer = models.ForeignKey(
        Reviewer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        help_text=_("Empty only for approvals recorded before reviewers were named."),
    )
    reviewer_name = models.CharField(_("reviewer name"), max_length=120)
    reviewer_credentials = models.CharField(_("reviewer credentials"), max_length=160, blank=True)
    reviewed_on = models.DateField(_("medically reviewed on"))
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)
    next_review_on = models.DateField(
        _("next review due"), null=True, blank=True, help_text=_("By default 12 months after the approval.")
    )
    attestation = models.TextField(_("attestation"), blank=True, help_text=_("What the reviewer attested to."))
    translates = models.ForeignKey(
        "self",
        # A translation whose English approval is gone (its treatment deleted) translates nothing current.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translates"),
        help_text=_("For a translation: the English approval it translates."),
    )
    content = models.JSONField(_("approved content"), editable=False)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, blank=True, editable=False, help_text=_("Digest of the records approved.")
    )

    class Meta:
        ordering = ["-approved_at", "-pk"]
        get_latest_by = ["approved_at", "pk"]
        verbose_name = _("medical review")
        verbose_name_plural = _("medical reviews")

    def __str__(self):
        return f"{self.treatment} – {self.reviewed_on} – {self.byline}"

    @property
    def byline(self):
        return ", ".join(part for part in (self.reviewer_name, self.reviewer_credentials) if part)

    def screening(self):
        """The screening questions as signed ([{id, kind, description, question}, …]), or None."""
        return _signed_screening(self.pk, self.fingerprint, self.approved_at)


def default_next_review(reviewed_on):
    """A year after the review (28 February for a review on 29 February)."""
    try:
        return reviewed_on.replace(year=reviewed_on.year + 1)
    except ValueError:
        return reviewed_on.replace(year=reviewed_on.year + 1, day=28)


@functools.lru_cache(maxsize=256)
def _signed_screening(pk, fingerprint, approved_at):
    # An approval is never edited (its id, fingerprint and time name it): its questions are read
    # once per process, not by decoding the whole signed page each time the form is sent.
    content = TreatmentReview.objects.filter(pk=pk).values_list("content", flat=True).first() or {}
    return content.get("screening")


def CONTENT_KEY():  # noqa: N802 (a field factory, read like a field class)
    # The record's name in the shipped content files (education/content/), so a later load finds
    # the row to update. Empty for rows editors add in the admin: the loader never touches those.
    return models.SlugField(_("content key"), max_length=60, blank=True, editable=False)


class ContentLoad(models.Model):
    """What the content loader last wrote for one treatment (education/content.py).

    ``loaded_digest`` is a digest of the treatment's rows just after that load: while the rows
    still match it nobody edited them, and a newer shipped version may replace them. Once an
    editor has changed them, a newer shipped version is not applied over their text: its digest
    waits in ``pending_digest`` and `check` reports it (education.W005).
    """

    slug = models.SlugField(_("treatment slug"), max_length=120, unique=True)
    file_digest = models.CharField(_("shipped version loaded"), max_length=64)
    loaded_digest = models.CharField(_("rows as loaded"), max_length=64)
    pending_digest = models.CharField(_("shipped version not applied"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("content load")
        verbose_name_plural = _("content loads")

    def __str__(self):
        return self.slug


class Citable(models.Model):
    """Fields shared by every record that carries its own sources."""

    sources = models.ManyToManyField(Source, blank=True, verbose_name=_("sources"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]


class Section(Citable):
    class Kind(models.TextChoices):
        GET_HELP = "get_help", _("Get help at once")
        OVERVIEW = "overview", _("Overview")
        HOW_IT_WORKS = "how_it_works", _("How it works")
        AREAS = "areas", _("Treatment areas")
        PROCEDURE = "procedure", _("The procedure")
        RESULTS = "results", _("Results and how long they last")
        SIDE_EFFECTS = "side_effects", _("Side effects")
        CONTRAINDICATIONS = "contraindications", _("Who should not have it or should wait")
        AFTERCARE = "aftercare", _("Aftercare")
        FAQ = "faq", _("Frequently asked questions")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=160, blank=True, help_text=_("Leave empty to use the kind's name."))
    body = models.TextField(_("body"), help_text=_("Markdown. Aim for a reading grade of 8 or lower."))

    class Meta(Citable.Meta):
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["treatment", "kind"], name="one_section_per_kind")]

    def __str__(self):
        return self.heading

    @property
    def heading(self):
        return self.title or self.get_kind_display()

    @property
    def anchor(self):
        return self.kind.replace("_", "-")

    @property
    def html(self):
        return render_markdown(self.body)

    @property
    def reading_grade(self):
        return reading_grade(self.body)


class TreatmentArea(Citable):
    class Status(models.TextChoices):
        # Each label says exactly what the evidence shows, no more.
        FDA_APPROVED = "fda_approved", _("FDA-approved use")
        FDA_RECORD_ONLY = "fda_record_only", _("FDA database lists approval; no label published yet")
        NOT_APPROVED_US = "not_approved_us", _("Not an approved use in the US")
        NO_US_APPROVAL_FOUND = "no_us_approval_found", _("No US approval found")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    product = models.CharField(
        _("product"), max_length=120, blank=True, help_text=_("The product the status applies to.")
    )
    status = models.CharField(_("regulatory status"), max_length=20, choices=Status.choices)
    key = CONTENT_KEY()

    class Meta(Citable.Meta):
        verbose_name = _("treatment area")
        verbose_name_plural = _("treatment areas")

    def __str__(self):
        return self.name

    @property
    def as_record(self):
        return {
            "name": self.name,
            "product": self.product,
            "status": self.status,
            "status_label": str(self.get_status_display()),
            "description": self.description,
        }


class SideEffect(Citable):
    class Frequency(models.TextChoices):
        # Only what the labeling says: "common" reactions, "delayed" ones, rare serious ones,
        # and effects it names without saying how often.
        COMMON = "common", _("Common")
        DELAYED = "delayed", _("Can start later")
        POSSIBLE = "possible", _("Possible")
        RARE = "rare", _("Rare but serious")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="side_effects")
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    frequency = models.CharField(_("how common"), max_length=10, choices=Frequency.choices)
    duration = models.CharField(_("how long it usually lasts"), max_length=120, blank=True)
    key = CONTENT_KEY()

    class Meta(Citable.Meta):
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")

    def __str__(self):
        return self.name

    @property
    def as_record(self):
        return {
            "name": self.name,
            "description": self.description,
            "frequency": self.frequency,
            "frequency_label": str(self.get_frequency_display()),
            "duration": self.duration,
        }


class Precaution(Citable):
    """A contraindication or precaution, and the screening question that detects it."""

    class Kind(models.TextChoices):
        DO_NOT_TREAT = "do_not_treat", _("Do not treat")
        POSTPONE = "postpone", _("Postpone treatment")
        DISCUSS = "discuss", _("Discuss with your provider")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="precautions")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    description = models.CharField(_("what the page says"), max_length=300)
    question = models.CharField(
        _("screening question"),
        max_length=300,
        blank=True,
        help_text=_(
            'Plain-language yes/no question for the consultation form; "yes" raises a flag of this kind. '
            "Leave empty when the form already asks it (age, pregnancy)."
        ),
    )
    key = CONTENT_KEY()

    class Meta(Citable.Meta):
        verbose_name = _("contraindication or precaution")
        verbose_name_plural = _("contraindications and precautions")

    def __str__(self):
        return self.description

    @property
    def as_record(self):
        # The question is part of what a reviewer signs: the intake form asks it.
        return {
            "id": self.pk,
            "kind": self.kind,
            "kind_label": str(self.get_kind_display()),
            "description": self.description,
            "question": self.question,
        }


def translated_in(record, language):
    """Every translated field that has text in the default language has text in `language` too."""
    from modeltranslation.translator import translator  # noqa: PLC0415 (the registry imports this module)

    default = settings.LANGUAGE_CODE
    for field in translator.get_options_for_model(type(record)).fields:
        original = getattr(record, f"{field}_{default}", None)
        if original not in (None, "") and getattr(record, f"{field}_{language}", None) in (None, ""):
            return False
    return True


def language_name(code):
    return dict(settings.LANGUAGES).get(code, code)
