"""What happened, as the timeline tells it: status changes (written by the services)
and the dated, sourced entries caseworkers add."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.crypto import EncryptedCharField, EncryptedTextField
from cases.evidence import EvidenceFileField, evidence_upload_to, validate_evidence_file
from cases.models.families import Family, Separation
from cases.models.people import Person
from cases.partial_dates import PartialDateField, validate_not_in_future


def status_transition(old: str, new: str) -> str:
    # Translators: a status change; right-to-left languages may turn the arrow.
    return gettext("%(old)s → %(new)s") % {"old": old, "new": new}


def evidence_storage() -> Storage:
    """Evidence lives outside any public root (settings.STORAGES["evidence"])."""
    return storages["evidence"]


class StatusChange(models.Model):
    """A status change of a family or of one of its separations, written by the services."""

    family = models.ForeignKey(
        Family, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("family")
    )
    separation = models.ForeignKey(
        Separation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("separation"),
    )
    from_status = models.CharField(_("previous status"), max_length=15, blank=True)
    to_status = models.CharField(_("new status"), max_length=15)
    note = EncryptedTextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the status was reached, as precisely as it is known; the timeline sorts by
    # it. `changed_at` is when it was recorded here, shown to staff.
    effective_on = PartialDateField(
        _("took effect"), blank=False, validators=[validate_not_in_future]
    )
    changed_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]
        get_latest_by = "changed_at"

    def __str__(self) -> str:
        return status_transition(self.from_status or "—", self.to_status)

    @property
    def _choices(self) -> type[models.TextChoices]:
        return Separation.Status if self.separation_id else Family.Status

    def status_label(self, value: str) -> str:
        return str(self._choices(value).label) if value in self._choices.values else value

    @property
    def from_label(self) -> str:
        return self.status_label(self.from_status) if self.from_status else ""

    @property
    def to_label(self) -> str:
        return self.status_label(self.to_status)


class ConditionChange(models.Model):
    """What happened to a person, as of a date and from a source: their condition,
    where they are, a charge and a sentence. Written by
    `services.person_change_condition`, shown on the timeline of every case the person
    is on. Charge, sentence and place reach a public page only when `publishable`."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="condition_changes",
        verbose_name=_("person"),
    )
    effective_on = PartialDateField(
        _("took effect"), blank=False, validators=[validate_not_in_future]
    )
    from_condition = models.CharField(_("previous condition"), max_length=30, blank=True)
    condition = models.CharField(_("condition"), max_length=30, choices=Person.Condition.choices)
    whereabouts = models.CharField(
        _("where they are"), max_length=20, choices=Person.Whereabouts.choices
    )
    location_place = EncryptedCharField(_("place"), max_length=200, blank=True)
    charge = models.CharField(_("charge"), max_length=200, blank=True)
    sentence_years = models.PositiveSmallIntegerField(_("sentence (years)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_url = models.URLField(_("source link"), max_length=500, blank=True)
    publishable = models.BooleanField(
        _("details publishable"),
        default=False,
        help_text=_(
            "The charge, sentence and place may appear on public pages, within the "
            "person's consent. The condition itself follows the consent alone."
        ),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("condition change")
        verbose_name_plural = _("condition changes")
        ordering = ["effective_on", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="condition_change_has_a_source",
                condition=~Q(source="") | ~Q(source_url=""),
                violation_error_message=_("Say where this is known from: a source or a link."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_on} {self.get_condition_display()}"

    @property
    def from_label(self) -> str:
        choices = Person.Condition
        return (
            str(choices(self.from_condition).label) if self.from_condition in choices.values else ""
        )


class TimelineEntry(models.Model):
    """A dated event a caseworker adds: coverage, testimony, a letter. Always sourced."""

    class Kind(models.TextChoices):
        MEDIA = "media", _("Media coverage")
        TESTIMONY = "testimony", _("Testimony")
        LETTER = "letter", _("Letter received")
        OFFICIAL_STATEMENT = "official_statement", _("Official statement")
        CONTACT = "contact", _("News from the relative")
        OTHER = "other", _("Other")

    class Reliability(models.TextChoices):
        OFFICIAL_DOCUMENT = "official_document", _("Official document")
        FIRST_HAND = "first_hand", _("First-hand testimony")
        MEDIA_REPORT = "media_report", _("Media report")
        UNVERIFIED = "unverified", _("Unverified")

    family = models.ForeignKey(
        Family, on_delete=models.CASCADE, related_name="entries", verbose_name=_("family")
    )
    separation = models.ForeignKey(
        Separation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("separation"),
    )
    occurred_on = PartialDateField(
        _("when it happened"), blank=False, validators=[validate_not_in_future]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Who said it, where: e.g. a newspaper and date, a testimony's interviewer."),
    )
    source_url = models.URLField(_("source link"), max_length=500, blank=True)
    source_document = EvidenceFileField(
        _("source document"),
        upload_to=evidence_upload_to,
        storage=evidence_storage,
        validators=[validate_evidence_file],
        name_field="source_document_name",
        blank=True,
        help_text=_("PDF, PNG, JPEG, WebP or plain text, up to 20 MB. Kept privately."),
    )
    # Stored files get random names; this is the name it was uploaded under.
    source_document_name = EncryptedCharField(
        _("original file name"), max_length=255, blank=True, editable=False
    )
    reliability = models.CharField(
        _("reliability"),
        max_length=20,
        choices=Reliability.choices,
        default=Reliability.UNVERIFIED,
    )
    publishable = models.BooleanField(
        _("publishable"),
        default=False,
        help_text=_("May appear on public pages and exports, within the family's consent."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("recorded"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="entry_has_a_source",
                condition=~Q(source="") | ~Q(source_url="") | ~Q(source_document=""),
                violation_error_message=_(
                    "Every entry needs a source: a source description, a link or a document."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title
