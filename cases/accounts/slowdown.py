"""Slowing down password guessing that is spread over many addresses against one username.

django-axes locks out an address, and a username from one address, never a username
everywhere: nobody can lock a caseworker out from elsewhere. An attacker with many
addresses could still try 5 passwords per address every 15 minutes. So failed logins
are also counted per username, from any address. After FAILURES failures within WINDOW
from at least ADDRESSES different addresses, which no one mistyping their own password
reaches (axes stops any one address at 5), the username is slowed down for SLOWED_FOR:
each login for it must bring a solved proof-of-work challenge before the password is
even checked. The owner's browser works a few seconds (static/js/proof-of-work.js,
WebCrypto); each guess costs the attacker as much computing.

Challenges are ALTCHA v2 (the `altcha` library): PBKDF2/SHA-256, signed with a key
derived from SECRET_KEY, bound to the username, expiring after CHALLENGE_TTL, and good
for one login attempt (a used one is remembered in the cache until it expires). The
counter to find is drawn at random from the upper half of [0, MAX_COUNTER), so the work
has a floor and a ceiling.

An unknown username is counted, slowed down and answered exactly like a known one. The
audit trail gets one LOGIN_SLOWED row per window while the slow-down holds, its actor
the account if one has that name; the name itself is kept nowhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from cases import proof_of_work, ratelimit
from cases.accounts.throttling import client_ip
from cases.audit import audit_record
from cases.models import AuditEvent

FAILURES = 10
ADDRESSES = 3
WINDOW = 15 * 60  # seconds, as django-axes' cool-off
SLOWED_FOR = 60 * 60  # seconds from the last failure that met the thresholds

FIELD = "proof_of_work"  # the form field that carries the solution
COST = 10_000  # PBKDF2 iterations per try: about 3 ms in a browser or on a server core
MAX_COUNTER = 1_000  # 500 to 1,000 tries: one to three seconds on a laptop
CHALLENGE_TTL = 10 * 60  # seconds to type the password again
MAX_PAYLOAD = 4_000  # characters; a real solution has about 900

_SALT = "reunite.accounts.slowdown"


def _username_tag(username: str) -> str:
    """What a challenge carries to name its username: a keyed digest, not the name."""
    return salted_hmac(f"{_SALT}.username", username, algorithm="sha256").hexdigest()[:32]


def _slowed_key(username: str) -> str:
    return ratelimit.cache_key(("login-slowed", username))


def is_slowed(username: str) -> bool:
    return bool(cache.get(_slowed_key(username)))


def record_failure(request: HttpRequest, username: str) -> None:
    """A failed login for `username` (existing or not) from this request's address."""
    failures = ratelimit.hit_count(("login-failures", username), window=WINDOW)
    address = client_ip(request)
    if ratelimit.first_in_window(("login-failure-from", username, address), window=WINDOW):
        addresses = ratelimit.hit_count(("login-failure-addresses", username), window=WINDOW)
    else:
        addresses = ratelimit.hits(("login-failure-addresses", username), window=WINDOW)
    if failures < FAILURES or addresses < ADDRESSES:
        return
    cache.set(_slowed_key(username), True, timeout=SLOWED_FOR)
    if ratelimit.first_in_window(("login-slowed-recorded", username), window=WINDOW):
        User = get_user_model()
        audit_record(
            action=AuditEvent.Action.LOGIN_SLOWED,
            request=request,
            actor=User._default_manager.filter(**{User.USERNAME_FIELD: username}).first(),
            detail=(
                f"{FAILURES}+ failed logins from {ADDRESSES}+ addresses within "
                f"{WINDOW // 60} minutes: proof of work required"
            ),
        )


def new_challenge(username: str) -> dict[str, Any]:
    """A signed challenge for one login attempt as `username`, as the page's JSON."""
    return proof_of_work.new_challenge(
        salt=_SALT,
        bound_to={"for": _username_tag(username)},
        cost=COST,
        max_counter=MAX_COUNTER,
        ttl=CHALLENGE_TTL,
    )


def solution_accepted(payload: object, username: str) -> bool:
    """True for a correct solution of an unexpired challenge we made for `username`, the
    first time it is shown to us; False for anything else, however malformed."""
    return proof_of_work.solution_accepted(
        payload, salt=_SALT, bound_to={"for": _username_tag(username)}, max_payload=MAX_PAYLOAD
    )
