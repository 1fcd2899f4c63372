"""People: relatives abroad and inside China, with their names in every script, where
they are, what happened to them, and their consent to be named; and the staff teams."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.crypto import BlindIndexField, EncryptedCharField, EncryptedTextField
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
from cases.transliteration import NameKeysField


class Prefecture(models.TextChoices):
    """The prefecture-level divisions of the Xinjiang Uyghur Autonomous Region: the
    finest place inside China that the advocacy level may show (cases.exports.summary).
    The cities the Xinjiang Production and Construction Corps administers are not part
    of any prefecture; they share one choice, which says no more than a prefecture."""

    URUMQI = "urumqi", _("Ürümqi (Urumchi) City")
    KARAMAY = "karamay", _("Karamay City")
    TURPAN = "turpan", _("Turpan City")
    HAMI = "hami", _("Hami (Kumul) City")
    CHANGJI = "changji", _("Changji Hui Autonomous Prefecture")
    BORTALA = "bortala", _("Bortala Mongol Autonomous Prefecture")
    BAYINGOLIN = "bayingolin", _("Bayingolin Mongol Autonomous Prefecture")
    AKSU = "aksu", _("Aksu Prefecture")
    KIZILSU = "kizilsu", _("Kizilsu Kyrgyz Autonomous Prefecture")
    KASHGAR = "kashgar", _("Kashgar (Kashi) Prefecture")
    HOTAN = "hotan", _("Hotan (Khotan) Prefecture")
    ILI = "ili", _("Ili Kazakh Autonomous Prefecture")
    TACHENG = "tacheng", _("Tacheng (Chöchek) Prefecture")
    ALTAY = "altay", _("Altay Prefecture")
    XPCC_CITY = "xpcc_city", _("A city of the Xinjiang Production and Construction Corps")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> PersonQuerySet:
        """People on a case this user may open, and people not on any case yet; never
        a record merged into another (cases/merging.py)."""
        if not (user.is_active and user.is_staff):
            return self.none()
        people = self.filter(merged_into__isnull=True)
        if user.has_perm("cases.view_all_cases"):
            return people
        from cases.models.families import Family, Membership, Separation

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
        return people.filter(on_visible_case | ~on_any_case)


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
        blank=True,
        validators=[latin_letters],
        help_text=_("As the person or family commonly writes it. Leave blank if not known."),
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
    # The phonetic key of every word of the names above, recomputed on every save, so
    # one person is found under every spelling and script (cases/transliteration.py).
    name_keys = NameKeysField(_("name keys"))
    # Set when this record was found to be another's and merged into it; undone by
    # clearing it (cases/merging.py). A merged record is in no list.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = NameField(
        _("description"),
        max_length=200,
        blank=True,
        help_text=_(
            "Who this is while the name is not known, e.g. “son of Mamutjan”. Shown "
            "instead of a name, with the birth year."
        ),
    )
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = PartialDateField(
        _("born"),
        validators=[validate_not_in_future],
        help_text=_("Year, month or day. From an age: “10 years old in 2021” or “about 2011”."),
    )
    birth_date_approximate = models.BooleanField(
        _("born about then"),
        default=False,
        help_text=_("The birth date is an estimate, e.g. from an age in a report."),
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
    detention_place_prefecture = models.CharField(
        _("place of detention (prefecture)"),
        max_length=12,
        choices=Prefecture.choices,
        blank=True,
        help_text=_(
            "If held inside the Uyghur region: the prefecture of the camp, prison or "
            "other place of detention, for the submissions to UN bodies. The only part "
            "of that place an advocate's export shows; the facility itself goes in “place”."
        ),
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
    id_number = EncryptedCharField(
        _("identity document number"),
        max_length=40,
        blank=True,
        help_text=_(
            "The resident identity card or passport number, where the family holds it: "
            "the UN Working Groups ask for it to identify the person. Private, encrypted, "
            "in internal exports only; advocates' submissions say it is held, not what it is."
        ),
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
                name="person_has_a_name_or_a_description",
                condition=~Q(name_latin="", name_uyghur="", name_chinese="", description=""),
                violation_error_message=_(
                    "Give a name in any script or, while it is not known, a description."
                ),
            ),
            models.CheckConstraint(
                name="person_consent_is_recorded",
                condition=Q(consent="none") | Q(consent_recorded_at__isnull=False),
                violation_error_message=_("A consent to publish must say when it was recorded."),
            ),
        ]

    def __str__(self) -> str:
        # Isolated, so a name in another direction cannot reorder the text around it.
        names = [name for name in (self.name_latin, self.name_uyghur) if name]
        if not names and self.name_chinese:
            names = [self.name_chinese]
        if names:
            first, *rest = (isolate(name) for name in names)
            return f"{first} ({rest[0]})" if rest else first
        return self.unnamed_label

    @property
    def is_named(self) -> bool:
        return bool(self.name_latin or self.name_uyghur or self.name_chinese)

    @property
    def consented_name(self) -> str | None:
        """The name the person may be called by outside the case file (public pages,
        advocacy exports): only with their consent "named", and only a name, never the
        description someone not yet named is known by inside the file (it may name
        others, and tells the full birth date)."""
        return str(self) if self.consent == self.Consent.NAMED and self.is_named else None

    @property
    def unnamed_label(self) -> str:
        """A stable description of someone whose name is not known yet:
        "son of Mamutjan, born about 2015"."""
        label = isolate(self.description) or gettext("name not known")
        if self.birth_date:
            return gettext("%(who)s, born %(when)s") % {"who": label, "when": self.birth_display}
        return label

    @property
    def birth_display(self) -> str:
        if not self.birth_date:
            return ""
        if self.birth_date_approximate:
            return gettext("about %(year)s") % {"year": self.birth_date.year}
        return self.birth_date.display()

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
