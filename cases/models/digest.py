"""The weekly digest mail (cases/digest.py): who does not want it, and which were sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class DigestPreference(models.Model):
    """A staff member's choice about the weekly digest. No row: they get it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_preference",
        verbose_name=_("staff member"),
    )
    weekly_digest = models.BooleanField(
        _("send me the weekly digest"),
        default=True,
        help_text=_(
            "Once a week, by e-mail: case references and counts only, never a name or "
            "a detail of a case."
        ),
    )
    # The language the digest is written in: the one the staff page was in when they
    # chose (one of settings.STAFF_LANGUAGES); blank for the site's default.
    language = models.CharField(_("language"), max_length=10, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self) -> str:
        return str(self.user)


class WeeklyDigest(models.Model):
    """One digest sent to one staff member for one ISO week: the row that makes sending
    idempotent (a second run, a retry, two workers at once send nothing more). It keeps
    no part of what the mail said."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("staff member"),
    )
    week = models.CharField(_("ISO week"), max_length=8, help_text=_("e.g. 2026-W07"))
    sent_at = models.DateTimeField(_("sent at"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("weekly digest sent")
        verbose_name_plural = _("weekly digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="weekly_digest_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.week}"
