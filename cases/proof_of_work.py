"""Signed, expiring, single-use proof-of-work challenges (ALTCHA v2, the `altcha`
library): one mechanism for the staff login's slow-down and the public signing form.
The browser side is static/js/proof-of-work.js.

A challenge is bound to what it is for (`bound_to`: a username digest, a petition) and
signed with a key derived from SECRET_KEY under the caller's `salt`; a solution is good
once, remembered in the cache until the challenge expires.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import altcha
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from cases import ratelimit

ALGORITHM = "PBKDF2/SHA-256"


def _secret(salt: str, purpose: str) -> str:
    return salted_hmac(salt, purpose, algorithm="sha256").hexdigest()


def new_challenge(
    *, salt: str, bound_to: dict[str, str], cost: int, max_counter: int, ttl: int
) -> dict[str, Any]:
    """A challenge as the page's JSON. The counter to find is drawn from the upper half
    of [0, max_counter), so the work has a floor and a ceiling."""
    challenge = altcha.create_challenge(
        ALGORITHM,
        cost,
        counter=max_counter // 2 + secrets.randbelow(max_counter - max_counter // 2),
        expires_at=int(time.time()) + ttl,
        data=bound_to,
        hmac_secret=_secret(salt, "challenge"),
        hmac_key_secret=_secret(salt, "derived key"),
    )
    return challenge.to_dict()


def solution_accepted(
    payload: object, *, salt: str, bound_to: dict[str, str], max_payload: int
) -> bool:
    """True for a correct solution of an unexpired challenge made under `salt` for
    `bound_to`, the first time it is shown; False for anything else, however malformed."""
    if not isinstance(payload, str) or not payload or len(payload) > max_payload:
        return False
    try:
        solved = altcha.Payload.from_base64(payload)
        result = altcha.verify_solution(
            solved, _secret(salt, "challenge"), hmac_key_secret=_secret(salt, "derived key")
        )
        parameters = solved.challenge.parameters
        if not result.verified or parameters.data != bound_to:
            return False
        remaining = int(parameters.expires_at) - int(time.time())
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False
    used = ratelimit.cache_key((salt, "proof-of-work-used", str(solved.challenge.signature)))
    return cache.add(used, True, timeout=max(remaining, 0) + 60)
