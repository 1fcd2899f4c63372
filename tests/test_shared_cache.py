"""The cache the server processes share (CACHE_URL=redis://…): a rate limit counted in one
process holds in another, and a page version bumped in one is seen by the others.

These run against a real Redis server that `make test` starts (bin/with-redis, which
names it in REUNITE_TEST_REDIS_URL); the rest of the suite keeps the local-memory cache.
Each "server process" here is a separate Python interpreter with its own settings, cache
client and connection pool, as the workers of bin/serve are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cases.redis_cache import RedisCache

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds for one process to start Django and do its part


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REUNITE_TEST_REDIS_URL", "")
    if not url:
        message = (
            "no Redis server for the shared-cache tests: run them through bin/with-redis "
            "(`make test` does), which starts one and sets REUNITE_TEST_REDIS_URL"
        )
        if os.environ.get("REUNITE_REQUIRE_REDIS") == "1":
            pytest.fail(f"REUNITE_REQUIRE_REDIS=1 but {message}")
        pytest.skip(message)
    return url


def app_process(code: str, *args: str, cache_url: str) -> subprocess.Popen[str]:
    """A Python process with the project's settings and `CACHE_URL`, running `code` after
    `django.setup()`; it talks over its stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code, *args],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "reunite.settings",
            "DJANGO_ENV_FILE": "/dev/null",  # a developer's .env must not change the outcome
            "DJANGO_DEBUG": "true",
            "CACHE_URL": cache_url,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str]) -> str:
    line = process.stdout.readline()
    if not line:
        _, errors = process.communicate(timeout=TIMEOUT)
        pytest.fail(f"the process ended early (status {process.returncode}):\n{errors}")
    return line.strip()


def finish(process: subprocess.Popen[str], send: str = "") -> str:
    output, errors = process.communicate(send, timeout=TIMEOUT)
    assert process.returncode == 0, errors
    return output.strip()


# Hits one key 30 times with a limit of 40 an hour, once told to go; prints whether each
# hit went over the limit. The clock stands still, so the test never straddles a window.
HIT_THIRTY_TIMES = """
import json, sys
from cases import ratelimit
ratelimit.now = lambda: 1_800_000_000.0
key = ("shared-cache-test", sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps([ratelimit.hit(key, limit=40, window=3600) for _ in range(30)]))
"""


# As HIT_THIRTY_TIMES, but through hit_counts: two keys a call, one round trip.
HIT_TWO_KEYS_THIRTY_TIMES = """
import json, sys
from cases import ratelimit
ratelimit.now = lambda: 1_800_000_000.0
scope = ("shared-cache-test", sys.argv[1])
keys = [((*scope, "a"), 60), ((*scope, "b"), 3600)]
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps([ratelimit.hit_counts(keys)[0] for _ in range(30)]))
"""


def test_a_rate_limit_counts_the_hits_of_every_process_together(redis_url):
    key = uuid.uuid4().hex
    first = app_process(HIT_THIRTY_TIMES, key, cache_url=redis_url)
    second = app_process(HIT_THIRTY_TIMES, key, cache_url=redis_url)
    assert read_line(first) == read_line(second) == "ready"

    for process in (first, second):  # both at once: their hits interleave
        process.stdin.write("go\n")
        process.stdin.flush()
    over_limit = json.loads(finish(first)) + json.loads(finish(second))

    # 60 hits of one key from two processes, limit 40: exactly 40 let through, wherever
    # they came from. Counted per process, each would let all 30 of its own through; a
    # count that is read and written back instead of incremented would lose hits.
    assert len(over_limit) == 60
    assert over_limit.count(False) == 40
    assert over_limit.count(True) == 20


def test_counting_several_limits_in_one_round_trip_holds_across_processes(redis_url):
    key = uuid.uuid4().hex
    first = app_process(HIT_TWO_KEYS_THIRTY_TIMES, key, cache_url=redis_url)
    second = app_process(HIT_TWO_KEYS_THIRTY_TIMES, key, cache_url=redis_url)
    assert read_line(first) == read_line(second) == "ready"

    for process in (first, second):
        process.stdin.write("go\n")
        process.stdin.flush()
    counts = json.loads(finish(first)) + json.loads(finish(second))

    # Each key was hit 60 times by the two processes together: every count from 1 to 60
    # was handed out once, to one hit, whichever process made it.
    for position in (0, 1):
        assert sorted(pair[position] for pair in counts) == list(range(1, 61))
    # Within one call the two keys moved together: a process's own counts only rise.
    for process_counts in (counts[:30], counts[30:]):
        assert process_counts == sorted(process_counts)


# Prints the petition's page version as this process sees it, and again when told to.
READ_PAGE_VERSION = """
import sys
from django.core.cache import cache
from cases.public.counting import page_version_key
key = page_version_key(int(sys.argv[1]))
print(cache.get(key), flush=True)
sys.stdin.readline()
print(cache.get(key), flush=True)
"""

# Forgets the petition's pages twice; prints the versions it left after each.
FORGET_PAGES_TWICE = """
import sys
from django.core.cache import cache
from cases.public.counting import forget_pages, page_version_key
key = page_version_key(int(sys.argv[1]))
forget_pages(int(sys.argv[1]))
first = cache.get(key)
forget_pages(int(sys.argv[1]))
print(first, cache.get(key))
"""


def test_a_page_version_bumped_in_one_process_is_seen_by_another(redis_url):
    # A petition id no other test uses: the version lives in Redis, not in a test database.
    petition_id = str(uuid.uuid4().int % 10**12 + 10**12)
    reader = app_process(READ_PAGE_VERSION, petition_id, cache_url=redis_url)
    assert read_line(reader) == "None"  # nothing cached for this petition yet

    writer = app_process(FORGET_PAGES_TWICE, petition_id, cache_url=redis_url)
    first, second = (int(version) for version in finish(writer).split())
    # A first version starts from the clock (never one an earlier start counted up to);
    # the next is one more.
    assert first > 1_700_000_000_000_000
    assert second == first + 1

    # The reader, still running with its own connections, sees both bumps: its cached
    # pages of the old version are no longer the ones it serves.
    assert finish(reader, "again\n") == str(second)


def test_a_redis_cache_url_uses_djangos_own_redis_backend():
    process = app_process(
        "from django.core.cache import caches\n"
        "from django.core.cache.backends.redis import RedisCache\n"
        "print(type(caches['default']).__module__, isinstance(caches['default'], RedisCache))",
        cache_url="redis://127.0.0.1:6379/1",
    )

    assert finish(process) == "cases.redis_cache True"


def test_the_redis_cache_builds_one_client_per_process_not_one_per_call():
    cache = RedisCache("redis://127.0.0.1:6379/1", {})

    # No connection is made until a command runs: these only build the client objects.
    reading = cache._cache.get_client("a")
    writing = cache._cache.get_client("b", write=True)

    assert reading is writing is cache._cache.get_client("c")
    assert reading.connection_pool is cache._cache._get_connection_pool(write=False)


# --- The backend's own operations, on the real server --------------------------------------


@pytest.fixture
def redis_cache(redis_url) -> RedisCache:
    return RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})


def test_incr_keeps_the_counters_expiry_and_never_brings_back_an_expired_one(redis_cache):
    redis_cache.set("counter", 1, timeout=60)

    assert redis_cache.incr("counter") == 2
    assert redis_cache.incr("counter", 3) == 5
    server = redis_cache._cache.get_client()
    name = redis_cache.make_key("counter")
    assert 0 < server.ttl(name) <= 60  # INCRBY kept the expiry

    server.delete(name)  # as if it had expired just now
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("counter")
    assert not server.exists(name)  # not created again without an expiry


def test_a_rate_limit_counter_on_redis_expires_with_its_window(redis_cache, monkeypatch):
    from cases import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_000.0)
    key = ("shared-cache-test", uuid.uuid4().hex)

    assert [ratelimit.hit_count(key, window=600) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hits(key, window=600) == 3
    assert ratelimit.hit(key, limit=3, window=600)  # the fourth is over the limit
    name = redis_cache.make_key(ratelimit._in_window(key, 600))
    assert 0 < redis_cache._cache.get_client().ttl(name) <= 600


def test_hit_counts_on_redis_expire_with_their_windows_and_read_in_the_same_trip(
    redis_cache, monkeypatch
):
    from cases import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_000.0)
    minute, hour = ("shared-cache-test", uuid.uuid4().hex), ("shared-cache-test", uuid.uuid4().hex)
    redis_cache.set("version", 1_796_000_000_000_001)
    redis_cache.set("lookup", {"slug": "a-petition"})
    client = redis_cache._cache.get_client(write=True)
    commands = []
    original = client.execute_command

    def counted(*args, **kwargs):
        commands.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "execute_command", counted)
    counts, found = ratelimit.hit_counts(
        [(minute, 60), (hour, 3600)], read=["version", "lookup", "missing"]
    )
    again, _ = ratelimit.hit_counts([(minute, 60), (hour, 3600)])

    assert commands == ["EVALSHA", "EVALSHA"]  # one round trip a call
    assert counts == [1, 1]
    assert again == [2, 2]
    assert found == {"version": 1_796_000_000_000_001, "lookup": {"slug": "a-petition"}}
    assert ratelimit.hits(minute, window=60) == 2  # the counters hit_count uses
    assert 0 < client.ttl(redis_cache.make_key(ratelimit._in_window(minute, 60))) <= 60
    assert 60 < client.ttl(redis_cache.make_key(ratelimit._in_window(hour, 3600))) <= 3600


# --- The sign view on the shared cache ------------------------------------------------------


@pytest.fixture
def signing_on_redis(redis_url, settings, monkeypatch):
    """The site's cache is the real Redis (a key prefix of this test's own); returns the
    list of the Redis commands the request threads send, as they send them."""
    from redis import Redis

    settings.CACHES = {
        "default": {
            "BACKEND": "cases.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    commands: list[str] = []
    original = Redis.execute_command

    def counted(self, *args, **kwargs):
        commands.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Redis, "execute_command", counted)
    return commands


@pytest.mark.django_db
def test_a_signature_makes_two_round_trips_to_redis_and_its_limits_hold(client, signing_on_redis):
    from cases import ratelimit
    from cases.public import signing
    from tests.public.conftest import make_petition
    from tests.public.signing_kit import post_sign

    petition = make_petition(slug=f"redis-{uuid.uuid4().hex[:8]}")
    post_sign(client, petition, email="warm@example.org", address="198.51.100.1")
    signing_on_redis.clear()

    response = post_sign(client, petition, email="hot@example.org", address="198.51.100.2")

    assert response.status_code == 303
    # The client's limits with the petition's cached lookup, then the petition's limits
    # with its surge flag: nothing else (the thank-you page is another request).
    assert signing_on_redis == ["EVALSHA", "EVALSHA"]

    # What other processes counted for an address is what this one refuses on.
    hard = next(limit for limit in signing.CLIENT_LIMITS if limit.window == 60).hard
    for _ in range(hard):
        ratelimit.hit_count(("sign", "ip", "198.51.100.3"), window=60)
    refused = post_sign(client, petition, email="late@example.org", address="198.51.100.3")
    assert refused.status_code == 429
