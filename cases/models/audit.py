"""The audit trail: append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


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
        LOGIN_SLOWED = "login_slowed", _("Login slowed down")
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
