"""The shared rate-limit helper (cases/ratelimit.py): fixed windows in the cache."""

import json

from django.core.cache import cache

from cases import ratelimit

KEY = ("petition-signature", "ip", "203.0.113.9")


def at(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(ratelimit, "now", lambda: seconds)


def test_hits_up_to_the_limit_pass_and_the_next_one_exceeds_it(monkeypatch):
    at(monkeypatch, 1_000_000)

    results = [ratelimit.hit(KEY, limit=3, window=60) for _ in range(5)]

    assert results == [False, False, False, True, True]
    assert ratelimit.hits(KEY, window=60) == 5


def test_a_new_window_starts_from_zero(monkeypatch):
    at(monkeypatch, 1_000_000 - 1_000_000 % 60)  # the first second of a window
    for _ in range(3):
        ratelimit.hit(KEY, limit=3, window=60)

    at(monkeypatch, 1_000_000 - 1_000_000 % 60 + 59)  # its last second: still counted
    assert ratelimit.hit(KEY, limit=3, window=60)

    at(monkeypatch, 1_000_000 - 1_000_000 % 60 + 60)  # the next window
    assert not ratelimit.hit(KEY, limit=3, window=60)
    assert ratelimit.hits(KEY, window=60) == 1


def test_keys_and_window_lengths_count_apart(monkeypatch):
    at(monkeypatch, 30)  # a moment in the first minute and the first hour alike
    for _ in range(4):
        ratelimit.hit(KEY, limit=3, window=60)

    assert not ratelimit.hit((*KEY[:2], "203.0.113.10"), limit=3, window=60)
    assert not ratelimit.hit(("petition-signature", "net", "203.0.113.0/24"), limit=3, window=60)
    assert not ratelimit.hit(KEY, limit=3, window=3600)


def test_first_in_window_is_true_once_per_window(monkeypatch):
    at(monkeypatch, 1_000_000)
    seen = [ratelimit.first_in_window(("audit", "x"), window=60) for _ in range(3)]
    at(monkeypatch, 1_000_060)

    assert seen == [True, False, False]
    assert ratelimit.first_in_window(("audit", "x"), window=60)


def test_a_counter_that_vanished_mid_hit_counts_again_from_one(monkeypatch):
    at(monkeypatch, 1_000_000)

    def lost(*args, **kwargs):
        raise ValueError("Key not found")  # evicted between add() and incr()

    monkeypatch.setattr(cache, "incr", lost)

    assert ratelimit.hit_count(KEY, window=60) == 1


def test_no_address_or_name_reaches_the_cache_keys(monkeypatch):
    at(monkeypatch, 1_000_000)
    ratelimit.hit(("login-failures", "alice@example.org"), limit=1, window=60)
    ratelimit.first_in_window(("login-failure-from", "alice", "203.0.113.9"), window=60)

    keys = list(cache._cache)  # locmem in tests: the keys themselves can be looked at
    assert len(keys) == 2
    for key in keys:
        for secret in ("alice", "example", "203.0.113", "login-failures"):
            assert secret not in key


def test_no_choice_of_values_makes_two_keys_one():
    """A username typed with a separator in it cannot pass for another key."""
    keys = [("a", "b"), *[(f"a{separator}b",) for separator in ",:;|/ \x1f\x00\n\t"]]
    keys += [("a", "b", ""), ("a", '","b'), ('a", "b',)]

    assert len({ratelimit.cache_key(key) for key in keys}) == len(keys)


def test_the_counters_live_in_the_cache_that_cache_url_names():
    from tests.test_settings import load_settings

    default = load_settings({}, "settings.CACHES['default']")
    shared = load_settings({"CACHE_URL": "redis://127.0.0.1:6379/1"}, "settings.CACHES['default']")

    assert json.loads(default.stdout)["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert json.loads(shared.stdout) == {
        # Django's built-in Redis backend, keeping its client objects (cases/redis_cache.py)
        "BACKEND": "cases.redis_cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }


def test_hit_counts_counts_each_key_as_hit_count_does_and_reads_beside(monkeypatch):
    at(monkeypatch, 1_000_000)
    cache.set("reunite:test:value", {"a": 1})
    other = ("petition-signature", "net", "203.0.113.0/24")
    ratelimit.hit_count(KEY, window=60)

    counts, found = ratelimit.hit_counts(
        [(KEY, 60), (other, 3600)], read=["reunite:test:value", "reunite:test:missing"]
    )

    assert counts == [2, 1]
    assert found == {"reunite:test:value": {"a": 1}}
    assert ratelimit.hits(KEY, window=60) == 2  # the same counters as hit_count's
    assert ratelimit.hits(other, window=3600) == 1
