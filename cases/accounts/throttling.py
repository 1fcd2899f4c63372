"""Who is asking, and how often: the client address that django-axes counts login
failures against, and the throttle on password-reset requests."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cases import ratelimit

# Password-reset requests (cases/accounts/views.py). An hour's window: a person who
# sees no mail tries again two or three times; an office behind one address holds a
# handful of staff. Past either limit the request is answered as usual and does nothing.
RESET_WINDOW = 60 * 60
RESETS_PER_ADDRESS = 3  # per e-mail address typed, from anywhere
RESETS_PER_IP = 10  # per client address, whatever it types


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


def password_reset_throttled(request: HttpRequest, email: str) -> bool:
    """Count a reset request for `email` from this client; True if it is one too many
    for the address typed or for the client. Both are counted every time, whatever the
    outcome, so the work done does not depend on which limit is reached."""
    over_address = ratelimit.hit(
        ("password-reset", "email", email.strip().casefold()),
        limit=RESETS_PER_ADDRESS,
        window=RESET_WINDOW,
    )
    over_ip = ratelimit.hit(
        ("password-reset", "ip", client_ip(request)), limit=RESETS_PER_IP, window=RESET_WINDOW
    )
    return over_address or over_ip
