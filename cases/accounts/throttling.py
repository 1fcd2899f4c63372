"""The client address that django-axes counts failures against."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The connection's address, or behind REUNITE_TRUSTED_PROXIES reverse proxies the
    address the outermost of them saw. Entries a client wrote itself into
    X-Forwarded-For sit further left and are never read."""
    proxies = settings.REUNITE_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
