"""Counting hits of a key in fixed time windows, in Django's cache: one helper for every
throttle and slow-down (password resets, logins, later the public petition form).

    if ratelimit.hit(("password-reset", "ip", address), limit=10, window=3600):
        ...  # more than 10 in this hour: do less

A key is a tuple of strings, a scope first and then what is counted. Before it reaches
the cache it becomes a keyed HMAC (SECRET_KEY), so no e-mail address, IP address or
username is ever in a cache key, nor a digest of one that could be recomputed from a
guess. Windows are fixed: they start at whole multiples of `window` seconds since the
epoch, so every counter of the same window length restarts at the same moment. A burst
that straddles a boundary can get up to twice the limit through; that is the price of
two cache operations per hit (`add`, then the atomic `incr`; one atomic round trip on the
shared Redis cache, cases/redis_cache.py, and `hit_counts` counts several keys in one).

The cache is CACHES["default"] (CACHE_URL). Its development default, locmem, counts per
process: with several server processes, each has its own counts. Use a shared cache
(Redis) when the site runs more than one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.utils.crypto import salted_hmac

Key = tuple[str, ...]

_SALT = "reunite.ratelimit"


def now() -> float:
    """The clock the windows are cut from (a function, so that tests can move it)."""
    return time.time()


def cache_key(key: Key) -> str:
    """The cache's name for `key`: a keyed digest, never the values themselves."""
    # JSON, so that no choice of values (a username typed with a comma in it, say) makes
    # two different keys into one.
    digest = salted_hmac(_SALT, json.dumps(key), algorithm="sha256").hexdigest()
    return f"reunite:rl:{digest}"


def _in_window(key: Key, window: int) -> str:
    if window <= 0:
        raise ValueError("window must be a positive number of seconds")
    return cache_key((*key, f"window={window}", str(int(now() // window))))


def hit_count(key: Key, *, window: int) -> int:
    """Count one hit of `key` in the current window; the number of hits so far, this one
    included."""
    name = _in_window(key, window)
    # The shared Redis cache does the two steps below in one round trip (cases/redis_cache.py).
    count_hit = getattr(cache, "count_hit", None)
    if count_hit is not None:
        return count_hit(name, timeout=window)
    # The window's counter expires with the window (a little later, never earlier).
    cache.add(name, 0, timeout=window)
    try:
        return cache.incr(name)
    except ValueError:  # expired, or evicted, between add() and incr()
        cache.add(name, 1, timeout=window)
        return 1


def hit_counts(
    hits: Sequence[tuple[Key, int]], *, read: Sequence[str] = ()
) -> tuple[list[int], dict[str, Any]]:
    """`hit_count` for each (key, window) of `hits`, and `cache.get_many(read)` besides:
    on the shared Redis cache in one round trip (the sign view's limits and its cached
    petition), elsewhere one after the other. The counts in the order of `hits`, and the
    values of the keys of `read` that exist."""
    names = [(_in_window(key, window), window) for key, window in hits]
    count_hits = getattr(cache, "count_hits", None)
    if count_hits is not None:
        return count_hits(names, list(read))
    counts = [hit_count(key, window=window) for key, window in hits]
    return counts, cache.get_many(read) if read else {}


def hit(key: Key, *, limit: int, window: int) -> bool:
    """Count one hit of `key`; True if that makes more than `limit` in this window."""
    return hit_count(key, window=window) > limit


def hits(key: Key, *, window: int) -> int:
    """How many hits `key` has had in the current window, without counting one."""
    return cache.get(_in_window(key, window), 0)


def first_in_window(key: Key, *, window: int) -> bool:
    """True only the first time `key` is seen in the current window (atomic `add`): for
    "once per window" work, or counting distinct things cheaply."""
    return cache.add(_in_window(key, window), 1, timeout=window)
