"""What governments and other bodies were asked, and what they answered."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Left, Length, Now
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.choices import choice_label, translated
from cases.models.families import Family, Separation
from cases.partial_dates import PartialDateField, validate_not_in_future
from cases.text import (
    NameField,
    isolate,
    validate_one_script_per_word,
)


def validate_date_not_in_future(value: dt.date | None) -> None:
    """For the day-precise dates (kept for migrations 0001-0007)."""
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


class GovernmentContact(models.Model):
    """Something we asked a government, or something it stated about the case."""

    class BodyKind(models.TextChoices):
        FOREIGN_MINISTRY = "foreign_ministry", _("Ministry of Foreign Affairs")
        HOME_AFFAIRS = "home_affairs", _("Home affairs or immigration")
        EMBASSY = "embassy", _("Embassy or consulate")
        PARLIAMENT = "parliament", _("Parliament or committee")
        HEAD_OF_GOVERNMENT = "head_of_government", _("Head of state or government")
        UN_BODY = "un_body", _("United Nations body")
        CHINESE_AUTHORITIES = "chinese_authorities", _("Chinese authorities")
        OTHER = "other", _("Other")

    class Direction(models.TextChoices):
        WE_ASKED = "we_asked", _("We asked")
        THEY_STATED = "they_stated", _("They stated")

    class Channel(models.TextChoices):
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        PHONE = "phone", _("Phone call")
        PUBLIC_STATEMENT = "public_statement", _("Public statement")
        PARLIAMENTARY = "parliamentary", _("Parliamentary question or hearing")
        INTERMEDIARY = "intermediary", _("Through a journalist or another intermediary")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        # Blank until there is an answer: "No response yet" or "Responded" is derived
        # from the response date (`outcome_label`), never asked for twice.
        STATEMENT = "statement", _("Made a statement")
        DECLINED = "declined", _("Declined")
        REFUSED = "refused", _("Refused")
        PROMISED = "promised", _("Promised action")
        ACTED = "acted", _("Acted")

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="government_contacts",
        verbose_name=_("family"),
    )
    separation = models.ForeignKey(
        Separation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="government_contacts",
        verbose_name=_("separation"),
    )
    government = CountryField(
        _("government"), blank=True, help_text=_("Leave blank for a UN body.")
    )
    body_kind = models.CharField(_("kind of body"), max_length=20, choices=BodyKind.choices)
    body = NameField(
        _("body"),
        max_length=200,
        validators=[validate_one_script_per_word],
        help_text=_("e.g. Department of Home Affairs"),
    )
    official = NameField(
        _("official"),
        max_length=200,
        blank=True,
        validators=[validate_one_script_per_word],
        help_text=_("Name and title."),
    )
    contacted_on = PartialDateField(_("date"), blank=False, validators=[validate_not_in_future])
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    intermediary = models.CharField(
        _("through whom"),
        max_length=200,
        blank=True,
        help_text=_("The journalist, outlet or organisation that passed it on, if any."),
    )
    summary = models.TextField(_("summary"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    follow_up_on = models.DateField(_("follow-up due"), null=True, blank=True)
    response_on = PartialDateField(_("response received on"), validators=[validate_not_in_future])
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
        verbose_name = _("government contact")
        verbose_name_plural = _("government contacts")
        ordering = ["-contacted_on", "-pk"]
        constraints = [
            # Partial dates compare as ISO text at the coarser of the two precisions:
            # a response "2021" may follow a contact "2021-05-02", not one of 2022.
            models.CheckConstraint(
                name="contact_response_after_contact",
                condition=Q(response_on="")
                | GreaterThanOrEqual(F("response_on"), Left("contacted_on", Length("response_on"))),
                violation_error_message=_("A response cannot come before the contact."),
            ),
            models.CheckConstraint(
                name="contact_follow_up_after_contact",
                condition=Q(follow_up_on__isnull=True)
                | GreaterThanOrEqual(
                    Cast("follow_up_on", models.CharField(max_length=10)), F("contacted_on")
                ),
                violation_error_message=_("A follow-up cannot be due before the contact."),
            ),
        ]
        indexes = [
            # "Follow-up due or overdue" looks up open follow-ups by date.
            models.Index(
                fields=["follow_up_on"],
                condition=Q(response_on=""),
                name="contact_open_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contacted_on} {isolate(self.body)}"

    @property
    def outcome_label(self) -> str:
        return self.outcome_label_in()

    def outcome_label_in(self, language: str | None = None) -> str:
        """The outcome, or whether they answered at all, in `language` (the active one)."""
        if self.outcome:
            return choice_label(self, "outcome", language)
        language = language or get_language()
        if self.response_on:
            return translated(gettext_noop("Responded"), language)
        return translated(gettext_noop("No response yet"), language)

    def clean(self) -> None:
        if self.separation_id and self.family_id and self.separation.family_id != self.family_id:
            raise ValidationError({"separation": _("This separation belongs to another family.")})
