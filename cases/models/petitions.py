"""Public petitions for the families' cases, and the signatures supporters give them.

A petition's status changes only through `cases.petitions` (each change lands on the
linked cases' timelines as a `PetitionEvent`). Signatures are written by the public
signing path (`cases.public.signing`), counted in batches by a task, never one UPDATE
of a shared counter per signature.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.models.families import Family
from cases.text import NameField, validate_one_script_per_word

# Goals step up as they are reached when a petition names none.
GOAL_STEPS = (100, 500, 1_000, 2_500, 5_000, 7_500, 10_000, 25_000, 50_000, 100_000)


def next_goal(count: int, explicit: int | None = None) -> int:
    """The goal shown beside `count`: the petition's own while it is not reached, else
    the next step (…, 100,000, then every further 100,000)."""
    if explicit and count < explicit:
        return explicit
    for step in GOAL_STEPS:
        if count < step and (not explicit or step > explicit):
            return step
    return (count // 100_000 + 1) * 100_000


def goals_reached(count: int, explicit: int | None = None) -> list[int]:
    """Every threshold `count` has reached: the steps and the petition's own goal."""
    thresholds = set(GOAL_STEPS) | ({explicit} if explicit else set())
    thresholds |= set(range(200_000, count + 1, 100_000))
    return sorted(t for t in thresholds if t <= count)


# Words the public URLs use after /petitions/ (cases/public/sign_views.py): a petition
# with one of them as its address could not be reached.
RESERVED_SLUGS = frozenset({"confirm", "resend", "unsubscribe", "erase"})


def validate_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is a word the site's addresses use; choose another."),
            code="reserved",
            params={"slug": value},
        )


class PetitionQuerySet(models.QuerySet):
    def public(self) -> PetitionQuerySet:
        """What supporters may see: everything but drafts."""
        return self.exclude(status=Petition.Status.DRAFT)


class Petition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        DELIVERED = "delivered", _("Delivered")
        RESPONDED = "responded", _("Responded")

    slug = models.SlugField(
        _("address"), max_length=80, unique=True, validators=[validate_not_reserved]
    )
    families = models.ManyToManyField(
        Family, related_name="petitions", blank=True, verbose_name=_("families")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)

    addressee_name = NameField(
        _("addressee"), max_length=200, validators=[validate_one_script_per_word]
    )
    addressee_title = models.CharField(_("addressee's title"), max_length=200, blank=True)
    addressee_body = NameField(
        _("body"),
        max_length=200,
        blank=True,
        validators=[validate_one_script_per_word],
        help_text=_("e.g. Department of Foreign Affairs and Trade"),
    )
    addressee_government = CountryField(_("government"), blank=True)
    addressee_address = models.TextField(_("postal address"), blank=True)
    salutation = models.CharField(
        _("salutation"), max_length=100, blank=True, help_text=_("e.g. Dear Minister")
    )
    fallback_language = models.CharField(
        _("fallback language"),
        max_length=10,
        choices=settings.PUBLIC_LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Shown where the reader's language has no text."),
    )
    goal = models.PositiveIntegerField(
        _("goal"), null=True, blank=True, help_text=_("Leave blank to step up as goals are met.")
    )
    proof_of_work = models.BooleanField(
        _("ask every signer for proof of work"),
        default=False,
        help_text=_("For a petition under attack: each signature costs the browser a moment."),
    )
    response = models.ForeignKey(
        "cases.GovernmentContact",
        verbose_name=_("government's response"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The contact recording the answer, shown on the petition page."),
    )
    # Kept by the counting task (cases.public.tasks), never per signature.
    signature_count = models.PositiveIntegerField(_("signatures"), default=0, editable=False)
    count_updated_at = models.DateTimeField(_("counted at"), null=True, editable=False)
    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-created_at", "pk"]
        permissions = [("moderate_signatures", _("Can review and invalidate signatures"))]
        constraints = [
            models.CheckConstraint(
                name="petition_closes_after_it_opens",
                condition=Q(opens_on__isnull=True)
                | Q(closes_on__isnull=True)
                | Q(closes_on__gte=models.F("opens_on")),
                violation_error_message=_("A petition cannot close before it opens."),
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def accepts_signatures(self) -> bool:
        today = timezone.localdate()
        return (
            self.status == self.Status.PUBLISHED
            and (self.opens_on is None or self.opens_on <= today)
            and (self.closes_on is None or today <= self.closes_on)
        )

    @property
    def shown_goal(self) -> int:
        return next_goal(self.signature_count, self.goal)


class PetitionText(models.Model):
    """A petition's words in one language."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="texts", verbose_name=_("petition")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.PUBLIC_LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), validators=[MaxLengthValidator(2000)])
    letter = models.TextField(
        _("letter"), help_text=_("The letter supporters endorse, after the salutation.")
    )
    demands = models.TextField(_("demands"), blank=True, help_text=_("One per line."))

    class Meta:
        verbose_name = _("petition text")
        verbose_name_plural = _("petition texts")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "language"],
                name="petition_text_once_per_language",
                violation_error_message=_("This petition has a text in this language already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition.slug} ({self.language})"

    @property
    def demand_list(self) -> list[str]:
        return [line.strip() for line in self.demands.splitlines() if line.strip()]


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        SUSPECT = "suspect", _("Suspect")
        INVALIDATED = "invalidated", _("Invalidated")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("petition")
    )
    name = NameField(_("name"), max_length=100, validators=[validate_one_script_per_word])
    email = models.EmailField(_("email"), max_length=254, help_text=_("As given, for delivery."))
    # Folded for duplicate detection (cases.public.canonical): case, plus-tags, the dots
    # of providers that ignore them, invisible characters and look-alike letters.
    email_canonical = models.CharField(_("canonical email"), max_length=254, editable=False)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(500)])
    show_publicly = models.BooleanField(_("first name and country shown"), default=False)
    send_updates = models.BooleanField(_("wants updates"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING, editable=False
    )
    language = models.CharField(_("language"), max_length=10, default="en", editable=False)
    # A keyed hash of the address (cases.public.signing.ip_hash): never the address.
    ip_hash = models.CharField(_("address hash"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("signed"), db_default=Now(), editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, editable=False)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_canonical"], name="signature_once_per_email"
            ),
        ]
        indexes = [
            # The counting task counts confirmed signatures per petition; the page lists
            # the latest public ones.
            models.Index(fields=["petition", "state", "confirmed_at"], name="signature_state"),
        ]

    def __str__(self) -> str:
        return f"{self.petition.slug} #{self.pk}"

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0] if self.name else ""


class PetitionEvent(models.Model):
    """A petition's milestone, on the timeline of every case it is linked to: a status
    change, a goal reached, the delivery, the response."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status")
        GOAL = "goal", _("Goal reached")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="events", verbose_name=_("petition")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Petition.Status.choices, blank=True
    )
    goal = models.PositiveIntegerField(_("goal"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("petition event")
        verbose_name_plural = _("petition events")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "goal"],
                condition=Q(kind="goal"),
                name="petition_goal_reached_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition.slug} {self.kind} {self.status or self.goal}"


class SignatureInvalidation(models.Model):
    """Who invalidated which signatures of a petition, by which rule, how many."""

    petition = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        related_name="invalidations",
        verbose_name=_("petition"),
    )
    rule = models.JSONField(_("rule"))
    count = models.PositiveIntegerField(_("signatures invalidated"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("signature invalidation")
        verbose_name_plural = _("signature invalidations")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.petition.slug}: {self.count}"


class PetitionShareImage(models.Model):
    """The picture a petition's links show where they are shared (Open Graph and Twitter
    cards), as `cases.images` re-encoded it from the staff's upload: a 1200×630 JPEG made
    from the pixels alone, with none of the upload's metadata (GPS position, camera).

    A table of its own, so that loading a petition never loads the picture's bytes. It is
    served from the database (cases/public/share.py): there is no media storage, and
    every server process reads the same row. The digest goes in the picture's address,
    so a new picture is a new address and the old one may be cached for a year.
    """

    petition = models.OneToOneField(
        Petition,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="share_image",
        verbose_name=_("petition"),
    )
    data = models.BinaryField(_("image"), editable=False)
    width = models.PositiveSmallIntegerField(_("width"), editable=False)
    height = models.PositiveSmallIntegerField(_("height"), editable=False)
    digest = models.CharField(_("digest"), max_length=16, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("petition share image")
        verbose_name_plural = _("petition share images")

    def __str__(self) -> str:
        return f"{self.petition_id} {self.width}×{self.height} {self.digest}"
