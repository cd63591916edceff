"""Structured, cited treatment content.

A treatment page is built from records, not one big text: sections of known
kinds, treatment areas with their regulatory status, side effects, and the
contraindications/precautions whose screening questions the consultation form
asks. The page and the form read the same rows, so they never disagree.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .rendering import reading_grade, render_markdown


class Source(models.Model):
    """A reference a medical statement rests on (label, study, FDA page)."""

    key = models.SlugField(_("key"), max_length=40, unique=True, help_text=_("Short id, e.g. fda-p090016."))
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    date = models.CharField(
        _("date"), max_length=60, blank=True, help_text=_('As published, e.g. "2023-09-27" or "n.d."')
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return f"{self.title} ({self.publisher})"


class TreatmentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

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
            return self
        return self.published()


class Treatment(models.Model):
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
    reviewed_on = models.DateField(_("medically reviewed on"), null=True, blank=True)
    reviewer_name = models.CharField(_("reviewer name"), max_length=120, blank=True)
    reviewer_credentials = models.CharField(
        _("reviewer credentials"), max_length=120, blank=True, help_text=_("e.g. MD, board-certified dermatologist")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published=False) | models.Q(reviewed_on__isnull=False),
                name="published_treatment_has_review_date",
                violation_error_message=_("A treatment cannot be published without a medical review date."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("education:treatment_detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.published and not self.reviewed_on:
            raise ValidationError(
                {"reviewed_on": _("A treatment cannot be published without a medical review date.")},
                code="review_required",
            )

    def page(self):
        """The detail page as data: sections with their records and numbered references.

        References are numbered in order of first citation down the page, the way a
        printed leaflet does it. Call on a treatment loaded with ``with_content()``.
        """
        records = {
            Section.Kind.AREAS: list(self.areas.all()),
            Section.Kind.SIDE_EFFECTS: list(self.side_effects.all()),
            Section.Kind.CONTRAINDICATIONS: list(self.precautions.all()),
        }
        numbers, references, sections = {}, [], []

        def cite(item):
            cited = []
            for source in item.sources.all():
                if source.pk not in numbers:
                    numbers[source.pk] = len(references) + 1
                    references.append(source)
                cited.append((numbers[source.pk], source))
            return cited

        for section in self.sections.all():
            section.citations = cite(section)
            section.records = records.get(section.kind, [])
            for record in section.records:
                record.citations = cite(record)
            section.treatment = self  # reuse the loaded object for review_date
            sections.append(section)
        return {"sections": sections, "references": list(enumerate(references, start=1))}

    @property
    def reviewer(self):
        return ", ".join(part for part in (self.reviewer_name, self.reviewer_credentials) if part)


class Citable(models.Model):
    """Fields shared by every record that carries its own sources."""

    sources = models.ManyToManyField(Source, blank=True, verbose_name=_("sources"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]


class Section(Citable):
    class Kind(models.TextChoices):
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
    reviewed_on = models.DateField(
        _("medically reviewed on"), null=True, blank=True, help_text=_("Leave empty to use the treatment's date.")
    )

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

    @property
    def review_date(self):
        return self.reviewed_on or self.treatment.reviewed_on


class TreatmentArea(Citable):
    class Status(models.TextChoices):
        FDA_APPROVED = "fda_approved", _("FDA-approved use")
        NOT_APPROVED_US = "not_approved_us", _("Not an approved use in the US")
        APPROVED_OUTSIDE_US = "outside_us", _("Approved outside the US only")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    product = models.CharField(
        _("product"), max_length=120, blank=True, help_text=_("The product the status applies to.")
    )
    status = models.CharField(_("regulatory status"), max_length=20, choices=Status.choices)

    class Meta(Citable.Meta):
        verbose_name = _("treatment area")
        verbose_name_plural = _("treatment areas")

    def __str__(self):
        return self.name


class SideEffect(Citable):
    class Frequency(models.TextChoices):
        COMMON = "common", _("Common")
        UNCOMMON = "uncommon", _("Less common")
        RARE = "rare", _("Rare but serious")

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="side_effects")
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    frequency = models.CharField(_("how common"), max_length=10, choices=Frequency.choices)
    duration = models.CharField(_("how long it usually lasts"), max_length=120, blank=True)

    class Meta(Citable.Meta):
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")

    def __str__(self):
        return self.name


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

    class Meta(Citable.Meta):
        verbose_name = _("contraindication or precaution")
        verbose_name_plural = _("contraindications and precautions")

    def __str__(self):
        return self.description
