"""The moments a staff session proves its second factor."""

from __future__ import annotations

from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.models import Device

from cases.accounts import state
from cases.audit import audit_record
from cases.models import AuditEvent

PASSWORD_STEP_MAX_AGE = 300  # seconds between the two steps of a re-authentication


def complete_login(request: HttpRequest, device: Device, *, detail: str) -> None:
    """Password earlier, `device` now: the session is verified and gets a new key."""
    otp_login(request, device)
    request.session.cycle_key()
    request.session[state.AUTHENTICATED_AT] = state.now()
    audit_record(action=AuditEvent.Action.LOGIN, request=request, actor=request.user, detail=detail)


def password_step_fresh(request: HttpRequest) -> bool:
    age = state.seconds_since(request, state.REAUTH_PASSWORD_AT)
    return age is not None and 0 <= age <= PASSWORD_STEP_MAX_AGE


def complete_reauthentication(request: HttpRequest, device: Device, *, detail: str) -> None:
    """Password again a moment ago, `device` now: sensitive actions open for a while."""
    otp_login(request, device)
    request.session.pop(state.REAUTH_PASSWORD_AT, None)
    request.session[state.AUTHENTICATED_AT] = state.now()
    audit_record(
        action=AuditEvent.Action.REAUTHENTICATED, request=request, actor=request.user, detail=detail
    )


def record_second_factor_failure(request: HttpRequest, *, detail: str) -> None:
    audit_record(
        action=AuditEvent.Action.TWO_FACTOR_FAILED,
        request=request,
        actor=request.user,
        detail=detail,
    )
