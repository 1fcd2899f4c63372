"""The case: a family, its members and its separations."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.crypto import EncryptedCharField, EncryptedTextField
from cases.models.people import Person, Prefecture, Team
from cases.partial_dates import PartialDateField, validate_not_in_future
from cases.text import (
    NameField,
    isolate,
    validate_one_script_per_word,
)


class FamilyQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> FamilyQuerySet:
        """The cases this user may find and open. Everything else must look absent.

        Supervisors see every case. Anyone else sees the cases they are assigned to,
        their team's unrestricted cases, and, with `view_unrestricted_cases` (advocates),
        every unrestricted case. A restricted case is seen only by its assigned
        caseworkers and by supervisors.
        """
        if not (user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("cases.view_all_cases"):
            return self.all()
        assigned = models.Exists(
            Family.caseworkers.through.objects.filter(family=models.OuterRef("pk"), user=user)
        )
        unrestricted = Q(restricted=False)
        if not user.has_perm("cases.view_unrestricted_cases"):
            unrestricted &= Q(team__in=Team.objects.filter(members=user))
        return self.filter(assigned | unrestricted)

    def open(self) -> FamilyQuerySet:
        return self.exclude(status__in=[Family.Status.REUNITED, Family.Status.CLOSED])

    def _with_open_follow_up(self, **date_lookups: dt.date) -> FamilyQuerySet:
        # An open follow-up is one whose government has not answered yet.
        from cases.models.contacts import GovernmentContact

        return self.filter(
            models.Exists(
                GovernmentContact.objects.filter(
                    family=models.OuterRef("pk"), response_on="", **date_lookups
                )
            )
        )

    def follow_up_overdue(self) -> FamilyQuerySet:
        return self._with_open_follow_up(follow_up_on__lt=timezone.localdate())

    def follow_up_due(self, *, within_days: int = 7) -> FamilyQuerySet:
        """Open follow-ups due within `within_days`, overdue ones included."""
        horizon = timezone.localdate() + dt.timedelta(days=within_days)
        return self._with_open_follow_up(follow_up_on__lte=horizon)

    def without_recent_contact(self, *, days: int = 90) -> FamilyQuerySet:
        """Cases with a separated person not heard from for `days`, or never.

        A last contact known only to the month or year counts as recent while that
        month or year reaches into the last `days` days.
        """
        cutoff = timezone.localdate() - dt.timedelta(days=days)
        periods_with_cutoff = [f"{cutoff:%Y}", f"{cutoff:%Y-%m}"]
        stale = Q(person__last_contact="") | (
            Q(person__last_contact__lt=cutoff.isoformat())
            & ~Q(person__last_contact__in=periods_with_cutoff)
        )
        return self.filter(
            models.Exists(
                Separation.objects.filter(stale, family=models.OuterRef("pk")).exclude(
                    status__in=[Separation.Status.REUNITED, Separation.Status.CLOSED]
                )
            )
        )


class Family(models.Model):
    """A case: one family, its members, its separations and its timeline."""

    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake")
        ACTIVE = "active", _("Active")
        ADVOCACY = "advocacy", _("Advocacy")
        MONITORING = "monitoring", _("Monitoring")
        REUNITED = "reunited", _("Reunited")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    reference = models.CharField(
        _("reference"),
        max_length=20,
        unique=True,
        editable=False,
        help_text=_("Given automatically, e.g. F-2026-0042."),
    )
    name = NameField(
        _("case name"),
        max_length=200,
        validators=[validate_one_script_per_word],
        help_text=_("Internal name, e.g. the family name of the parent abroad."),
    )
    members = models.ManyToManyField(
        Person, through="Membership", related_name="families", verbose_name=_("members")
    )
    reporting_contact = models.ForeignKey(
        Person,
        verbose_name=_("reporting contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_families",
        help_text=_("Who brought the case to us, usually a relative abroad."),
    )
    caseworkers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_families",
        verbose_name=_("caseworkers"),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="families",
    )
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Only the assigned caseworkers and supervisors can find or open a restricted case."
        ),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.INTAKE
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    host_country = CountryField(
        _("host country"), blank=True, help_text=_("Where the family abroad lives.")
    )
    internal_summary = EncryptedTextField(_("internal summary"), blank=True)
    public_summary = models.TextField(
        _("public summary"),
        blank=True,
        help_text=_("Shown publicly only with the consent of the people it names."),
    )
    created_at = models.DateTimeField(_("opened"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Raised by every save of the case or of one of its records through the admin
    # (cases/editing.py): a page opened before the last save cannot silently undo it.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # The key of the add form this case was created from: the same form posted twice
    # (a double click, a retry, a second tab) creates one case (services.family_create).
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        ordering = ["-priority", "reference"]
        permissions = [
            ("view_all_cases", _("Can find and open every case, restricted ones included")),
            ("view_unrestricted_cases", _("Can find and read every case that is not restricted")),
            (
                "view_private_fields",
                _("Can see contact details, exact locations, internal notes and evidence"),
            ),
            ("assign_caseworkers", _("Can assign caseworkers and teams, and restrict cases")),
            ("export_cases", _("Can export case summaries")),
        ]
        indexes = [
            # The caseworkers' main list filters open cases by status.
            models.Index(fields=["status", "-priority"], name="family_status_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {isolate(self.name)}".strip()


class Membership(models.Model):
    class Role(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        CHILD = "child", _("Child")
        SPOUSE = "spouse", _("Spouse")
        SIBLING = "sibling", _("Sibling")
        GRANDPARENT = "grandparent", _("Grandparent")
        GUARDIAN = "guardian", _("Guardian")
        OTHER = "other", _("Other relative")

    family = models.ForeignKey(
        Family, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("family")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        constraints = [
            models.UniqueConstraint(
                fields=["family", "person"],
                name="membership_once_per_family",
                violation_error_message=_("This person is already a member of this family."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Separation(models.Model):
    """One person cut off from members of their family, and how it stands."""

    class Circumstance(models.TextChoices):
        DOCUMENT_TRIP = "document_trip", _("Trip to renew documents")
        LEFT_BEHIND = "left_behind", _("Left behind when fleeing")
        DETAINED = "detained", _("Detained")
        EXIT_BLOCKED = "exit_blocked", _("Exit ban or passport refused")
        VISA_STALLED = "visa_stalled", _("Visa stalled")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        VERIFIED = "verified", _("Verified")
        ADVOCACY = "advocacy", _("Advocacy under way")
        EXIT_PERMITTED = "exit_permitted", _("Exit permitted or visa issued")
        REUNITED = "reunited", _("Reunited")
        CLOSED = "closed", _("Closed")

    family = models.ForeignKey(
        Family, on_delete=models.CASCADE, related_name="separations", verbose_name=_("family")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="separations",
        verbose_name=_("separated person"),
        help_text=_("Usually the relative inside China."),
    )
    separated_from = models.ManyToManyField(
        Person,
        related_name="separated_relatives",
        blank=True,
        verbose_name=_("separated from"),
    )
    since = PartialDateField(_("since"), validators=[validate_not_in_future])
    circumstance = models.CharField(
        _("how it happened"), max_length=15, choices=Circumstance.choices
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.REPORTED
    )
    details = EncryptedTextField(_("internal details"), blank=True)

    # What the UN Working Groups ask of a disappearance or detention
    # (cases/exports/un.py). Free text here may be submitted: advocates' exports pass it
    # through the consent rule, and it should name no place finer than the prefecture.
    last_seen_place = EncryptedCharField(
        _("place of arrest or where last seen"),
        max_length=200,
        blank=True,
        help_text=_(
            "Town, street, checkpoint or facility. Private and encrypted: advocates' "
            "exports show only the prefecture below."
        ),
    )
    last_seen_prefecture = models.CharField(
        _("prefecture of arrest or where last seen"),
        max_length=12,
        choices=Prefecture.choices,
        blank=True,
        help_text=_("Inside the Uyghur region: the only part of that place advocates may show."),
    )
    responsible_forces = NameField(
        _("forces believed responsible"),
        max_length=300,
        blank=True,
        validators=[validate_one_script_per_word],
        help_text=_(
            "The State or State-supported forces believed to have carried out the arrest "
            "or abduction, by their full name: “Public Security Bureau”, not “PSB”."
        ),
    )
    detention_ordered_by = NameField(
        _("detention ordered by"),
        max_length=300,
        blank=True,
        validators=[validate_one_script_per_word],
        help_text=_(
            "The authority that ordered the detention, by its full name, e.g. a "
            "prefecture's Public Security Bureau or a court."
        ),
    )
    detention_legal_basis = models.CharField(
        _("legal basis of the detention"),
        max_length=300,
        blank=True,
        help_text=_(
            "The law and article the authorities invoked, or “none given” if they gave none."
        ),
    )
    no_inquiry_reason = models.CharField(
        _("why no inquiry was possible"),
        max_length=500,
        blank=True,
        help_text=_(
            "If nobody could ask the authorities where the person is: why not, e.g. "
            "relatives were warned against it. Government contacts count as inquiries."
        ),
    )

    class Meta:
        verbose_name = _("separation")
        verbose_name_plural = _("separations")
        ordering = ["since", "pk"]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_circumstance_display()}"
