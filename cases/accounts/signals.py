"""Login events: start the session clocks, and write the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cases.accounts import state
from cases.accounts.middleware import LOGOUT_REASON
from cases.audit import audit_record
from cases.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="reunite.accounts.logged_in")
def start_session_clocks(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """The password was accepted (the LOGIN audit row waits for the second factor)."""
    now = state.now()
    request.session[state.LOGIN_AT] = now
    request.session[state.LAST_SEEN] = now


@receiver(user_login_failed, dispatch_uid="reunite.accounts.login_failed")
def record_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The attempted username is kept nowhere: people type passwords into that field.
    The actor is set only when an account of that name exists."""
    User = get_user_model()
    username = credentials.get(User.USERNAME_FIELD) or credentials.get("username")
    actor = None
    if isinstance(username, str) and username:
        actor = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED, request=request, actor=actor, detail="password"
    )


@receiver(user_logged_out, dispatch_uid="reunite.accounts.logged_out")
def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    detail = getattr(request, LOGOUT_REASON, "") if request is not None else ""
    audit_record(action=AuditEvent.Action.LOGOUT, request=request, actor=user, detail=detail)
