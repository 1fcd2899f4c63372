"""Writing the audit trail. One function, called by the admin, the staff views and
the exports, in the same transaction as the thing it records."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from cases.accounts.throttling import client_ip
from cases.models import AuditEvent, Family


def _case_reference(obj: models.Model | None) -> str:
    if isinstance(obj, Family):
        return obj.reference
    family = getattr(obj, "family", None)
    return family.reference if isinstance(family, Family) else ""


def audit_record(
    *,
    action: AuditEvent.Action,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    obj: models.Model | None = None,
    fields: Iterable[str] = (),
    detail: str = "",
) -> AuditEvent:
    """Append one event. `fields` are names, never values; `detail` must hold no personal data.

    The actor defaults to the request's user. The IP address is the one the login
    throttle counts: the connection's own, or behind REUNITE_TRUSTED_PROXIES proxies the
    address the outermost of them saw (never what a client wrote itself).
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if actor is not None and not isinstance(actor, get_user_model()):
        actor = None
    ip_address = client_ip(request) if request is not None else None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        case_reference=_case_reference(obj),
        fields=sorted(set(fields)),
        detail=detail[:300],
        ip_address=ip_address or None,
    )
