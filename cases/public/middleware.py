"""The fast path of the public side's busiest addresses: a petition's page in each
language, its count.json and its open data, asked for by a reader without cookies.

Those responses are the same for every such reader (cases.public.views caches their
content already). This middleware, the first in MIDDLEWARE, keeps each one whole in the
process's memory as the rest of the stack sent it out (every header: CSP, HSTS,
X-Frame-Options, nosniff, Referrer-Policy, Content-Language, Vary, Cache-Control), and
answers the next reader of the same address from there after one Redis round trip, the
petition's page version, without the session, locale, CSRF, authentication, OTP,
message, session-timeout, axes and CSP work.

What keeps it correct:

- Only a view marks a response as one that may be kept (`views.keep()`), with the page
  version it was built under and how long its content may still be served. The
  middleware keeps nothing else: no error or redirect (a refused host, the HTTPS
  redirect), nothing that sets a cookie, uses the request's CSP nonce, varies on a
  header the key leaves out, or that a shared cache may not store.
- A kept response is served only while the petition's page version in the shared cache
  is still the one it was built under, read on every request: `counting.forget_pages()`
  (a count, a status change, a staff edit) retires it in every process at once. Page
  versions never repeat, even after the cache lost them (counting.py), so an old copy
  cannot match a new version.
- Any cookie in the request (a staff session, a CSRF or language cookie) means the slow
  path, both for answering and for keeping: a signed-in staff member's page carries
  `Cache-Control: no-store` and must never be one a reader got, nor the reverse.
- The key holds everything else the response depends on: the scheme and host (as
  Django reads them, so a copy exists only for a host and scheme the slow path
  answered), the path, the language LocaleMiddleware would choose and the day; a query
  string means the slow path. Copies live in this process only, so a deploy (which
  restarts it) never serves the previous code's headers.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from cases.public import views
from cases.public.counting import page_version_key

# The addresses served here: a petition page under its language prefix, and a
# petition's JSON documents. The views decide what may be kept; these patterns only
# spare every other address the look-up.
_PAGE = re.compile(r"/[a-z]{2,3}(?:-[a-z]{2,4})?/petitions/(?P<slug>[-a-zA-Z0-9_]{1,100})/")
_DOCUMENT = re.compile(r"/petitions/(?P<slug>[-a-zA-Z0-9_]{1,100})(?:/count)?\.json")

# The request headers a kept response may vary on, because the key covers them: no
# cookie ever reaches this path, and the key holds the chosen language.
_KEYED_VARY = frozenset({"cookie", "accept-language"})
# Memory for kept responses, per process; the oldest go first. A petition's pages in
# its 8 languages and its documents are some 200 kB.
MAX_BYTES = 32 * 1024 * 1024

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Kept:
    petition_id: int
    version: int
    day: str
    expires_at: float  # time.time()
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes


_kept: dict[Key, Kept] = {}
_kept_bytes = 0
_lock = threading.Lock()


def forget_all() -> None:
    """Drop every kept response of this process (for tests)."""
    global _kept_bytes
    with _lock:
        _kept.clear()
        _kept_bytes = 0


def _slug(request: HttpRequest) -> str | None:
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return None
    if request.META.get("HTTP_COOKIE"):
        return None
    path = request.path_info
    match = _PAGE.fullmatch(path) or _DOCUMENT.fullmatch(path)
    return match["slug"] if match else None


def _key(request: HttpRequest) -> Key:
    return (
        request.scheme,
        request.get_host(),  # refuses a host not in ALLOWED_HOSTS
        request.path,
        translation.get_language_from_request(request, check_path=True),
    )


class CachedPublicResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = _slug(request)
        if slug is None:
            return self.get_response(request)
        try:
            key = _key(request)
        except DisallowedHost:
            return self.get_response(request)  # which answers 400, as for any address

        kept = _kept.get(key)
        if (
            kept is not None
            and kept.petition_id == views.known_petition_id(slug)
            and kept.expires_at > time.time()
            and kept.day == timezone.localdate().isoformat()
            and kept.version == cache.get(page_version_key(kept.petition_id))
        ):
            response = HttpResponse(kept.content, status=kept.status)
            for name, value in kept.headers:
                response.headers[name] = value
            return response

        response = self.get_response(request)
        if request.method == "GET":
            _keep(key, request, response)
        return response


def _keep(key: Key, request: HttpRequest, response: HttpResponse) -> None:
    global _kept_bytes
    marked = getattr(response, "reunite_keep", None)
    if marked is None or not _shareable(request, response):
        return
    petition_id, version, expires_at = marked
    if expires_at <= time.time():
        return
    kept = Kept(
        petition_id=petition_id,
        version=version,
        day=timezone.localdate().isoformat(),
        expires_at=expires_at,
        status=response.status_code,
        headers=tuple(response.headers.items()),
        content=response.content,
    )
    with _lock:
        old = _kept.pop(key, None)
        if old is not None:
            _kept_bytes -= len(old.content)
        _kept[key] = kept
        _kept_bytes += len(kept.content)
        while _kept_bytes > MAX_BYTES:
            oldest = next(iter(_kept))
            _kept_bytes -= len(_kept.pop(oldest).content)


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """A response every reader without cookies would get alike, which a shared cache may
    keep: no error, no cookie, no nonce, no Vary beyond what the key holds."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if response.has_header("Set-Cookie"):
        return False
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:  # a LazyNonce is true once something used it: then it is this reader's own
        return False
    cache_control = {
        part.strip().split("=")[0].lower()
        for part in response.headers.get("Cache-Control", "").split(",")
    }
    if "public" not in cache_control or cache_control & {"private", "no-store", "no-cache"}:
        return False
    vary = {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}
    return vary - {""} <= _KEYED_VARY
