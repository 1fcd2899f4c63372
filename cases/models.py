"""What caseworkers record: people, families (the case), separations, government
contacts, and the case timeline (status changes and dated entries with sources).

State changes that must be kept on the timeline (statuses, consent) are made by
`cases.services`, never by assigning the field and saving. Private free text and
contact details are encrypted at rest (`cases.crypto`); evidence files are stored
privately under random names (`cases.evidence`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.crypto import BlindIndexField, EncryptedCharField, EncryptedTextField
from cases.evidence import EvidenceFileField, evidence_upload_to, validate_evidence_file
from cases.partial_dates import PartialDate, PartialDateField, validate_not_in_future
from cases.text import (
    NameField,
    NameListField,
    arabic_letters,
    chinese_characters,
    isolate,
    latin_letters,
    validate_one_script_per_word,
)


def status_transition(old: str, new: str) -> str:
    # Translators: a status change; right-to-left languages may turn the arrow.
    return gettext("%(old)s → %(new)s") % {"old": old, "new": new}


def evidence_storage() -> Storage:
    """Evidence lives outside any public root (settings.STORAGES["evidence"])."""
    return storages["evidence"]


def validate_date_not_in_future(value: dt.date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> PersonQuerySet:
        """People on a case this user may open, and people not on any case yet."""
        if not (user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("cases.view_all_cases"):
            return self.all()
        families = Family.objects.visible_to(user)
        person = models.OuterRef("pk")
        links = [
            (Membership.objects.filter(person=person), "family__in"),
            (Separation.objects.filter(person=person), "family__in"),
            (Family.objects.filter(reporting_contact=person), "pk__in"),
        ]
        on_visible_case = Q()
        on_any_case = Q()
        for link, family_lookup in links:
            on_visible_case |= models.Exists(link.filter(**{family_lookup: families}))
            on_any_case |= models.Exists(link)
        return self.filter(on_visible_case | ~on_any_case)


class Person(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    class Ethnicity(models.TextChoices):
        UYGHUR = "uyghur", pgettext_lazy("ethnicity", "Uyghur")
        KAZAKH = "kazakh", pgettext_lazy("ethnicity", "Kazakh")
        KYRGYZ = "kyrgyz", pgettext_lazy("ethnicity", "Kyrgyz")
        UZBEK = "uzbek", pgettext_lazy("ethnicity", "Uzbek")
        TATAR = "tatar", pgettext_lazy("ethnicity", "Tatar")
        HUI = "hui", pgettext_lazy("ethnicity", "Hui")
        TAJIK = "tajik", pgettext_lazy("ethnicity", "Tajik")
        OTHER = "other", _("Other")

    class Whereabouts(models.TextChoices):
        ABROAD = "abroad", _("Abroad")
        UYGHUR_REGION = "uyghur_region", _("In the Uyghur region")
        ELSEWHERE_IN_CHINA = "elsewhere_in_china", _("Elsewhere in China")
        UNKNOWN = "unknown", _("Unknown")

    class Condition(models.TextChoices):
        # Inside China
        AT_HOME = "at_home", _("At home")
        UNDER_SURVEILLANCE = "under_surveillance", _("Under surveillance")
        DETAINED_IN_CAMP = "detained_in_camp", _("Detained in a camp")
        IMPRISONED = "imprisoned", _("Imprisoned")
        STATE_CARE = "state_care", _("In a state orphanage or boarding school")
        MISSING = "missing", _("Missing")
        RELEASED = "released", _("Released")
        DECEASED = "deceased", _("Deceased")
        # Abroad
        CITIZEN = "citizen", _("Citizen")
        PERMANENT_RESIDENT = "permanent_resident", _("Permanent resident")
        REFUGEE = "refugee", _("Refugee")
        ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
        TEMPORARY_VISA = "temporary_visa", _("Temporary or student visa")
        UNDOCUMENTED = "undocumented", _("Undocumented")
        AT_RISK_OF_DEPORTATION = "at_risk_of_deportation", _("At risk of deportation")
        UNKNOWN = "unknown", _("Unknown")

    CONDITIONS_INSIDE = (
        Condition.AT_HOME,
        Condition.UNDER_SURVEILLANCE,
        Condition.DETAINED_IN_CAMP,
        Condition.IMPRISONED,
        Condition.STATE_CARE,
        Condition.MISSING,
        Condition.RELEASED,
        Condition.DECEASED,
    )
    CONDITIONS_ABROAD = (
        Condition.CITIZEN,
        Condition.PERMANENT_RESIDENT,
        Condition.REFUGEE,
        Condition.ASYLUM_SEEKER,
        Condition.TEMPORARY_VISA,
        Condition.UNDOCUMENTED,
        Condition.AT_RISK_OF_DEPORTATION,
    )

    class Consent(models.TextChoices):
        NONE = "none", _("None: never published")
        ANONYMISED = "anonymised", _("Anonymised")
        NAMED = "named", _("Named")

    name_latin = NameField(
        _("name (Latin script)"),
        max_length=200,
        validators=[latin_letters],
        help_text=_("As the person or family commonly writes it."),
    )
    name_uyghur = NameField(
        _("name (Uyghur script)"),
        max_length=200,
        blank=True,
        validators=[arabic_letters],
    )
    name_chinese = NameField(
        _("name (Chinese)"),
        max_length=200,
        blank=True,
        validators=[chinese_characters],
    )
    aliases = NameListField(
        _("other spellings and aliases"),
        blank=True,
        validators=[validate_one_script_per_word],
        help_text=_("One per line: transliterations, former names, names in documents."),
    )
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = PartialDateField(
        _("born"), validators=[validate_not_in_future], help_text=_("Year, month or day.")
    )
    ethnicity = models.CharField(
        _("ethnicity"), max_length=10, choices=Ethnicity.choices, default=Ethnicity.UYGHUR
    )
    citizenship = CountryField(_("citizenship"), blank=True)

    whereabouts = models.CharField(
        _("where they are"),
        max_length=20,
        choices=Whereabouts.choices,
        default=Whereabouts.UNKNOWN,
    )
    location_country = CountryField(_("country"), blank=True)
    location_place = EncryptedCharField(
        _("place"),
        max_length=200,
        blank=True,
        help_text=_("Town, prefecture, facility. Sensitive inside China."),
    )
    condition = models.CharField(
        _("condition"),
        max_length=30,
        choices=[
            (_("Inside China"), [(c.value, c.label) for c in CONDITIONS_INSIDE]),
            (_("Abroad"), [(c.value, c.label) for c in CONDITIONS_ABROAD]),
            (Condition.UNKNOWN.value, Condition.UNKNOWN.label),
        ],
        default=Condition.UNKNOWN,
    )
    charge = models.CharField(
        _("charge"),
        max_length=200,
        blank=True,
        help_text=_("As stated by the authorities, if imprisoned."),
    )
    sentence_years = models.PositiveSmallIntegerField(
        _("sentence (years)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(99)],
        help_text=_("Leave blank for life or unknown; say which in the notes."),
    )
    sentence_start = PartialDateField(_("sentence start"))
    sentence_end = PartialDateField(_("sentence end"))
    last_contact = PartialDateField(
        _("last contact"),
        validators=[validate_not_in_future],
        help_text=_("When the family last heard from this person directly."),
    )
    contact_details = EncryptedTextField(
        _("contact details"),
        blank=True,
        help_text=_("Phone, messaging, address. Never published or exported."),
    )
    # Keyed digests of the phone numbers, e-mail addresses and handles in the contact
    # details, recomputed on every save, so staff can search them (cases/crypto.py).
    contact_index = BlindIndexField(_("contact search index"), source="contact_details")
    notes = EncryptedTextField(_("internal notes"), blank=True)

    consent = models.CharField(
        _("consent to publish"),
        max_length=10,
        choices=Consent.choices,
        default=Consent.NONE,
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Raised by every save through the admin, so a save from a page opened before
    # another one is noticed instead of undoing it (cases/editing.py).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_latin"]
        constraints = [
            models.CheckConstraint(
                name="person_consent_is_recorded",
                condition=Q(consent="none") | Q(consent_recorded_at__isnull=False),
                violation_error_message=_("A consent to publish must say when it was recorded."),
            ),
        ]

    def __str__(self) -> str:
        # Isolated, so a name in another direction cannot reorder the text around it.
        if self.name_uyghur:
            return f"{isolate(self.name_latin)} ({isolate(self.name_uyghur)})"
        return isolate(self.name_latin)

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        condition = self.Condition(self.condition) if self.condition else None
        if condition in self.CONDITIONS_ABROAD and self.whereabouts in {
            self.Whereabouts.UYGHUR_REGION,
            self.Whereabouts.ELSEWHERE_IN_CHINA,
        }:
            errors["condition"] = _("This condition applies to someone abroad.")
        if condition in self.CONDITIONS_INSIDE and self.whereabouts == self.Whereabouts.ABROAD:
            errors["condition"] = _("This condition applies to someone inside China.")
        start, end = self.sentence_start, self.sentence_end
        both = isinstance(start, PartialDate) and isinstance(end, PartialDate)
        if both and end.last_day < start.first_day:
            errors["sentence_end"] = _("The sentence cannot end before it starts.")
        if errors:
            raise ValidationError(errors)


class Team(models.Model):
    """Caseworkers who share a caseload; they work on their team's unrestricted cases."""

    name = NameField(
        _("name"), max_length=100, unique=True, validators=[validate_one_script_per_word]
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        permissions = [
            ("reset_two_factor", _("Can reset a staff member's two-factor devices")),
        ]

    def __str__(self) -> str:
        return isolate(self.name)


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
        return self.filter(
            models.Exists(
                GovernmentContact.objects.filter(
                    family=models.OuterRef("pk"), response_on__isnull=True, **date_lookups
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

    class Meta:
        verbose_name = _("separation")
        verbose_name_plural = _("separations")
        ordering = ["since", "pk"]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_circumstance_display()}"


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
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        NO_RESPONSE = "no_response", _("No response yet")
        DECLINED = "declined", _("Declined")
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
    contacted_on = models.DateField(_("date"), validators=[validate_date_not_in_future])
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    summary = models.TextField(_("summary"))
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.NO_RESPONSE
    )
    follow_up_on = models.DateField(_("follow-up due"), null=True, blank=True)
    response_on = models.DateField(
        _("response received on"),
        null=True,
        blank=True,
        validators=[validate_date_not_in_future],
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
        verbose_name = _("government contact")
        verbose_name_plural = _("government contacts")
        ordering = ["-contacted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="contact_response_after_contact",
                condition=Q(response_on__isnull=True)
                | Q(response_on__gte=models.F("contacted_on")),
                violation_error_message=_("A response cannot come before the contact."),
            ),
            models.CheckConstraint(
                name="contact_follow_up_after_contact",
                condition=Q(follow_up_on__isnull=True)
                | Q(follow_up_on__gte=models.F("contacted_on")),
                violation_error_message=_("A follow-up cannot be due before the contact."),
            ),
        ]
        indexes = [
            # "Follow-up due or overdue" looks up open follow-ups by date.
            models.Index(
                fields=["follow_up_on"],
                condition=Q(response_on__isnull=True),
                name="contact_open_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contacted_on:%Y-%m-%d} {isolate(self.body)}"

    def clean(self) -> None:
        if self.separation_id and self.family_id and self.separation.family_id != self.family_id:
            raise ValidationError({"separation": _("This separation belongs to another family.")})


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
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

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


class AuditEventQuerySet(models.QuerySet):
    """Append-only: rows are added, never changed or removed (PostgreSQL enforces it too)."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who viewed, created, changed, exported or deleted which record; logins; refusals.

    It names records by type, id and case reference, and changed fields by name only:
    never their values, never a person's name.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Created")
        CHANGE = "change", _("Changed")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        ACCESS_REFUSED = "access_refused", _("Access refused")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        # Failures for one username from several addresses: proof of work required.
        LOGOUT = "logout", _("Logged out")
        TWO_FACTOR_ENROLLED = "2fa_enrolled", _("Two-factor device enrolled")
        TWO_FACTOR_FAILED = "2fa_failed", _("Two-factor check failed")
        TWO_FACTOR_RESET = "2fa_reset", _("Two-factor devices reset")
        REAUTHENTICATED = "reauthenticated", _("Re-authenticated")

    at = models.DateTimeField(_("when"), db_default=Now(), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        # Staff accounts are deactivated, never deleted, while they have a trail.
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    case_reference = models.CharField(_("case"), max_length=20, blank=True, db_index=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        default_permissions = ["view"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")
