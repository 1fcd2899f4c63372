"""Second-factor devices: checking a code, enrolling an authenticator app, recovery
codes, and the supervisor's reset. Every change writes its audit row."""

from __future__ import annotations

import logging
import re
import smtplib
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from cases.audit import audit_record
from cases.models import AuditEvent

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
_TOTP_CODE = re.compile(r"\d{6}")


def has_confirmed_device(user: Any) -> bool:
    return user_has_device(user, confirmed=True)


def has_passkey(user: Any) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def verify_code(user: Any, code: str) -> tuple[Device | None, bool]:
    """The confirmed device that accepts `code`, and whether a throttled device was skipped.

    Six digits are checked against the authenticator app, anything else against the
    recovery codes (a used recovery code is deleted). django-otp throttles each device:
    after a failure the next try must wait 1, 2, 4, 8... seconds.
    """
    code = normalise_code(code)
    model = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    throttled = False
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
            elif device.verify_token(code):
                return device, False
    return None, throttled


def authenticator_for_enrolment(user: Any, *, fresh: bool) -> TOTPDevice:
    """The user's unconfirmed authenticator. `fresh` (each time the setup page is shown)
    replaces it with a new secret, so a secret that someone else saw on an unfinished
    setup page is never the one the owner ends up using."""
    unconfirmed = TOTPDevice.objects.filter(user=user, confirmed=False)
    if fresh:
        unconfirmed.delete()
    device = unconfirmed.first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def tell_the_owner(user: Any, change: str) -> None:
    """Mail the account's owner that its second factor changed, so that a change they
    did not make is noticed. Mail trouble is logged, never in the way of the change."""
    if not user.email:
        return
    body = (
        f"This is Reunite. On your staff account: {change}.\n\n"
        "If this was you, there is nothing to do. If it was not, tell your supervisor "
        "now: someone may know your password."
    )
    try:
        send_mail("Reunite: your two-factor login changed", body, None, [user.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send the two-factor change notice to user %s", user.pk)


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def qr_code_svg(text: str) -> str:
    """`text` as a QR code in inline SVG markup, drawn here: nothing loads from elsewhere."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


@transaction.atomic
def authenticator_confirm(*, device: TOTPDevice, request: HttpRequest | None) -> TOTPDevice:
    """Make `device` the user's only authenticator app (its code was just checked)."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    audit_record(
        action=AuditEvent.Action.TWO_FACTOR_ENROLLED,
        request=request,
        actor=device.user,
        obj=device.user,
        detail="authenticator app",
    )
    tell_the_owner(device.user, "a new authenticator app was set up")
    return device


@transaction.atomic
def recovery_codes_replace(*, user: Any, request: HttpRequest | None = None) -> list[str]:
    """Delete the user's recovery codes and make RECOVERY_CODE_COUNT new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if request is not None:
        audit_record(
            action=AuditEvent.Action.TWO_FACTOR_ENROLLED,
            request=request,
            actor=user,
            obj=user,
            detail="new recovery codes",
        )
        tell_the_owner(user, "new recovery codes were made (the old ones no longer work)")
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def user_end_sessions(user: Any) -> int:
    """Delete every stored session of `user` (database sessions). Returns how many."""
    user_id = str(user.pk)
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == user_id:
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_reset_two_factor(*, user: Any, actor: Any, request: HttpRequest | None = None) -> int:
    """A lost device: delete all of `user`'s devices and end their sessions. They enrol
    again at their next login, after the password. Returns how many devices went."""
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    user_end_sessions(user)
    audit_record(
        action=AuditEvent.Action.TWO_FACTOR_RESET,
        request=request,
        actor=actor,
        obj=user,
        detail=f"{removed} devices removed, sessions ended",
    )
    tell_the_owner(user, "a supervisor removed your two-factor devices; set up new ones at login")
    return removed
