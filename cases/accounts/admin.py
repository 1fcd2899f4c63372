"""The user admin, with the supervisor's "Reset two-factor devices" action.

Imported by reunite.apps.ReuniteAdminConfig.ready(), after Django's own user admin.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import user_has_device

from cases.accounts.decorators import require_recent_authentication
from cases.accounts.devices import user_reset_two_factor
from cases.audit import audit_record
from cases.models import AuditEvent
from cases.text import NameFormField, validate_name, validate_one_script_per_word

User = get_user_model()

RESET_PERMISSION = "cases.reset_two_factor"

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["reset_two_factor"]
    list_display = [*DjangoUserAdmin.list_display, "has_two_factor"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A staff member's names are names like any other (cases/text.py).
        if db_field.name in {"first_name", "last_name"}:
            kwargs["form_class"] = NameFormField
            kwargs["validators"] = [validate_name, validate_one_script_per_word]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Only a superuser makes superusers or hands out permissions outside the roles.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser's account (its password included) is changed only by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list:
        # Every change to a staff account lands on the audit trail, by field name.
        audit_record(
            action=AuditEvent.Action.CREATE if add else AuditEvent.Action.CHANGE,
            request=request,
            obj=getattr(form, "instance", None) or form.user,  # the password form has no instance
            fields=[name for name in form.changed_data if name not in {"password1", "password2"}]
            + (["password"] if {"password1", "password2"} & set(form.changed_data) else []),
        )
        return super().construct_change_message(request, form, formsets, add)

    @admin.display(description=_("two-factor"), boolean=True)
    def has_two_factor(self, user) -> bool:
        return user_has_device(user, confirmed=True)

    def has_reset_two_factor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RESET_PERMISSION)

    @admin.action(description=_("Reset two-factor devices"), permissions=["reset_two_factor"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """For a lost phone: delete the devices and end the sessions; the person sets up
        a new device at their next login. Asks the supervisor to re-authenticate first."""
        if (response := require_recent_authentication(request)) is not None:
            self.message_user(
                request,
                _("Confirm it is you, then choose the people and the action again."),
                messages.WARNING,
            )
            return response
        if not request.user.is_superuser and queryset.filter(is_superuser=True).exists():
            self.message_user(
                request, _("Only a superuser can reset a superuser's devices."), messages.ERROR
            )
            return None
        users = list(queryset)
        for user in users:
            user_reset_two_factor(user=user, actor=request.user, request=request)
        self.message_user(
            request,
            ngettext(
                "Two-factor devices reset for %(count)d person.",
                "Two-factor devices reset for %(count)d people.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
        return None


# Devices change only through the staff pages and the reset above, never by hand here.
for model_path in (
    "otp_totp.TOTPDevice",
    "otp_static.StaticDevice",
    "django_otp_webauthn.WebAuthnCredential",
    "django_otp_webauthn.WebAuthnAttestation",
):
    model = apps.get_model(model_path)
    if admin.site.is_registered(model):
        admin.site.unregister(model)
