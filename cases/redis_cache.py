"""Django's built-in Redis cache backend, with two changes for the hot paths (a cached
petition page, the rate limits of the sign view); everything else (the pools, the
serializer, the options from CACHE_URL) is Django's.

- Each process keeps its `redis.Redis` client objects instead of building one for every
  cache call. Django's client makes a new one per get, set or incr, and redis-py fills a
  table of some 200 reply handlers each time: about a quarter of a millisecond, as long
  as the round trip to Redis itself. A `redis.Redis` is safe to share between threads
  (it takes a connection from its pool for each command), so one per pool serves the
  whole process.
- `incr` is one atomic round trip (a small Lua script: INCRBY only if the key exists)
  instead of Django's EXISTS, then INCRBY. Besides the round trip that saves, Django's
  pair has a gap: a key that expires between the two is created again by INCRBY with
  no expiry, and a rate-limit counter that never expires would refuse its client for
  good.
- `count_hit` (used by cases.ratelimit when the cache has it) counts one hit of a fixed
  window in one atomic round trip, where the portable way is an `add`, then an `incr`.
- `count_hits` counts one hit of each of several counters and reads some keys besides,
  in one round trip: the sign view's rate limits and its cached petition together.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis

# Returns the new value, or nil (None) when there is no such key.
_INCR_IF_EXISTS = """
if redis.call("EXISTS", KEYS[1]) == 1 then
    return redis.call("INCRBY", KEYS[1], ARGV[1])
end
return false
"""

# One more hit of a window's counter; a new counter expires with its window.
_COUNT_HIT = """
local hits = redis.call("INCR", KEYS[1])
if hits == 1 then
    redis.call("EXPIRE", KEYS[1], ARGV[1])
end
return hits
"""

# One more hit of each of the first ARGV[1] keys (each counter expiring as in _COUNT_HIT
# after ARGV[i + 1] seconds), then the values of the remaining keys (nil when missing).
_COUNT_HITS = """
local counters = tonumber(ARGV[1])
local result = {}
for i = 1, counters do
    local hits = redis.call("INCR", KEYS[i])
    if hits == 1 then
        redis.call("EXPIRE", KEYS[i], ARGV[i + 1])
    end
    result[i] = hits
end
for i = counters + 1, #KEYS do
    result[i] = redis.call("GET", KEYS[i])
end
return result
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr_if_exists: Any = None
        self._count_hit: Any = None
        self._count_hits: Any = None

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            # As Django's _get_connection_pool(), for this index (it would draw its own).
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            # Two threads may build one each at first; either is as good as the other.
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client

    def incr(self, key: Any, delta: int) -> int:
        client = self.get_client(key, write=True)
        if self._incr_if_exists is None:
            # Sent by its digest (EVALSHA), and in full only the first time a server
            # does not know it.
            self._incr_if_exists = client.register_script(_INCR_IF_EXISTS)
        value = self._incr_if_exists(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def count_hit(self, key: Any, timeout: int) -> int:
        client = self.get_client(key, write=True)
        if self._count_hit is None:
            self._count_hit = client.register_script(_COUNT_HIT)
        return self._count_hit(keys=[key], args=[timeout], client=client)

    def count_hits(
        self, counters: list[tuple[Any, int]], keys: list[Any]
    ) -> tuple[list[int], list[Any]]:
        client = self.get_client(None, write=True)
        if self._count_hits is None:
            self._count_hits = client.register_script(_COUNT_HITS)
        reply = self._count_hits(
            keys=[key for key, _ in counters] + list(keys),
            args=[len(counters), *(timeout for _, timeout in counters)],
            client=client,
        )
        counts, values = reply[: len(counters)], reply[len(counters) :]
        loads = self._serializer.loads
        return [int(n) for n in counts], [None if v is None else loads(v) for v in values]


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_hit(self, key: str, timeout: int, version: int | None = None) -> int:
        """Count one hit of `key`, a counter that starts at 0 and expires `timeout`
        seconds after its first hit; the count, this hit included."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.count_hit(key, int(timeout))

    def count_hits(
        self, counters: list[tuple[str, int]], keys: list[str], version: int | None = None
    ) -> tuple[list[int], dict[str, Any]]:
        """`count_hit` for each (key, timeout) of `counters`, and `get_many(keys)`, in one
        atomic round trip: the counts, and the values of the keys that exist."""
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        counts, values = self._cache.count_hits(
            [(self.make_and_validate_key(key, version=version), int(t)) for key, t in counters],
            list(names),
        )
        return counts, {
            key: value
            for key, value in zip(names.values(), values, strict=True)
            if value is not None
        }
