"""The public petition pages: the list, a petition, its count and its open data.

They read only through `cases.public.pages` (what may be published). A petition page
is cached whole per language in Django's cache: the key holds the language and the
value of `counting.page_version_key(petition)`, so `counting.forget_pages()` (a new
count, a status change, a staff edit) makes every language render afresh at once. The
page carries no CSRF token and nothing of the request but its host, so one copy serves
every reader: the sign view needs no token (an anonymous form that counts only after
the emailed confirmation; see cases.public.sign_views).

The page, count.json and the open data mark their responses with `keep()`: for readers
without cookies, cases.public.middleware then answers them whole, before the rest of the
middleware, while the page version they were built under holds.
"""

from __future__ import annotations

import functools
import hashlib
import time
from functools import cache as memoise
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language_info
from django.views.decorators.http import require_safe

from cases.public import pages
from cases.public.counting import new_page_version, page_version_key
from cases.public.share import share_image_ref

# How long a rendered page or document may be served from the cache. Changes to the
# petition forget it at once; this bounds the rest (a linked case's story edited in the
# case admin) and keeps forgotten versions from piling up.
PAGE_TTL = 60
LIST_TTL = 15
# How long browsers and proxies may keep count.json: with the counting task's lag
# (counting.COUNT_EVERY plus the worker's poll) the shown count is at most 5 s behind.
COUNT_MAX_AGE = 2
PAGE_MAX_AGE = 10

SIGN_FORM_TEMPLATE = "public/_sign_form.html"
# Each language's name in that language, for the switcher (the same in every language).
AUTONYMS = {"nl-be": "Nederlands (België)"}

# slug -> petition id, per process: a slug's id does not change, and every cached entry
# records the slug it was built for, so a renamed or removed petition is looked up anew.
_petition_ids: dict[str, int] = {}


def _petition_id(slug: str, *, fresh: bool = False) -> int:
    if not fresh and slug in _petition_ids:
        return _petition_ids[slug]
    _petition_ids.pop(slug, None)
    petition_id = pages.public_petition_id(slug)
    if petition_id is None:
        raise Http404
    _petition_ids[slug] = petition_id
    return petition_id


def known_petition_id(slug: str) -> int | None:
    """The id this process last found at `slug`, without asking the database (for the
    fast path, cases.public.middleware, which checks it against what it kept)."""
    return _petition_ids.get(slug)


def _page_version(petition_id: int) -> int:
    """The petition's page version. When the cache has none (new, or evicted), it starts
    from the clock, so that pages cached under an older version are never read again."""
    key = page_version_key(petition_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, new_page_version(), timeout=None)
        version = cache.get(key, 0)
    return int(version)


@memoise
def _build() -> str:
    """What the rendered pages depend on besides the data: our templates and the static
    files' URLs (hashed in production). A deploy that changes them renders afresh.
    Computed once per process in production (a deploy restarts the processes), on every
    request in development, where templates change under a running server."""
    return _compute_build() if settings.DEBUG else _build_of_this_process()


def _compute_build() -> str:
    digest = hashlib.sha256()
    for path in sorted((Path(settings.BASE_DIR) / "templates" / "public").glob("*.html")):
        digest.update(path.read_bytes())
    for name in (
        "css/public.css",
        "js/count.js",
        "js/sign.js",
        "js/proof-of-work.js",
        "img/share.png",
    ):
        digest.update(static(name).encode())
    return digest.hexdigest()[:12]


_build_of_this_process = functools.cache(_compute_build)


def _cache_key(kind: str, petition_id: int | str, request: HttpRequest, *parts: object) -> str:
    origin = hashlib.sha256(request.build_absolute_uri("/").encode()).hexdigest()[:8]
    language = translation.get_language()
    day = timezone.localdate().isoformat()  # opening and closing dates turn at midnight
    tail = ":".join(str(part) for part in parts)
    return f"reunite:public:{kind}:{petition_id}:{language}:{day}:{origin}:{_build()}:{tail}"


def _languages(request: HttpRequest) -> list[dict[str, Any]]:
    """The same page in each public language, for the switcher."""
    current = translation.get_language()
    links = []
    for code, _name in settings.PUBLIC_LANGUAGES:
        info = get_language_info(code)
        links.append(
            {
                "code": code,
                "name": AUTONYMS.get(code, info["name_local"]),
                "bidi": info["bidi"],
                "url": translate_url(request.path, code),
                "current": code == current,
            }
        )
    return links


def _sign_form_context() -> dict[str, Any]:
    """The signing engineer's form and its template, when they exist."""
    try:
        get_template(SIGN_FORM_TEMPLATE)
    except TemplateDoesNotExist:
        return {"sign_form_template": None}
    try:
        from cases.public.forms import SignForm
    except ModuleNotFoundError as error:
        if error.name != "cases.public.forms":
            raise
        return {"sign_form_template": None}
    return {"sign_form_template": SIGN_FORM_TEMPLATE, "sign_form": SignForm()}


def _share(
    request: HttpRequest, title: str, description: str, petition_id: int | None = None
) -> dict[str, Any]:
    image = share_image_ref(request, petition_id)  # the petition's own, or the site's
    return {
        "share_title": title,
        "share_description": description[:300],
        "share_url": request.build_absolute_uri(request.path),
        "share_image": image.url,
        "share_image_type": image.content_type,
        "share_image_width": image.width,
        "share_image_height": image.height,
        "share_image_alt": title if image.own else "",
        "share_locale": translation.to_locale(translation.get_language()),
    }


def keep(response: HttpResponse, *, petition_id: int, version: int, built_at: float) -> None:
    """Let the fast path (cases.public.middleware) keep `response` whole for readers
    without cookies: until the petition's page version moves on, and no longer than
    this module's own cache would serve its content (PAGE_TTL after `built_at`)."""
    response.reunite_keep = (petition_id, version, built_at + PAGE_TTL)  # type: ignore[attr-defined]


def _html(content: str | bytes, max_age: int) -> HttpResponse:
    response = HttpResponse(content)
    patch_cache_control(response, public=True, max_age=max_age)
    return response


@require_safe
def petition_list(request: HttpRequest) -> HttpResponse:
    key = _cache_key("list", "all", request)
    content = cache.get(key)
    if content is None:
        title = translation.gettext("Petitions")
        content = render_to_string(
            "public/petition_list.html",
            {
                "petitions": pages.petition_cards(),
                "languages": _languages(request),
                **_share(
                    request,
                    title,
                    translation.gettext(
                        "Sign for the families separated by China's repression of the Uyghurs."
                    ),
                ),
            },
            request=request,
        )
        cache.set(key, content, LIST_TTL)
    return _html(content, PAGE_MAX_AGE)


@require_safe
def petition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    petition_id = _petition_id(slug)
    version = _page_version(petition_id)
    key = _cache_key("page", petition_id, request, version)
    cached = cache.get(key)
    if cached is not None and cached["slug"] == slug:
        response = _html(cached["content"], PAGE_MAX_AGE)
        keep(response, petition_id=petition_id, version=version, built_at=cached.get("at", 0))
        return response

    built_at = time.time()
    page = pages.load_petition_page(petition_id, slug=slug)
    if page is None:  # renamed or removed since this process learnt its id
        petition_id = _petition_id(slug, fresh=True)
        version = _page_version(petition_id)
        key = _cache_key("page", petition_id, request, version)
        page = pages.load_petition_page(petition_id, slug=slug)
        if page is None:
            raise Http404
    content = render_to_string(
        "public/petition_detail.html",
        {
            "petition": page,
            "languages": _languages(request),
            "count_url": reverse("public_data:count", kwargs={"slug": slug}),
            "open_data_url": reverse("public_data:open_data", kwargs={"slug": slug}),
            **(_sign_form_context() if page.accepts_signatures else {}),
            **_share(request, page.title, page.summary, petition_id),
        },
        request=request,
    )
    cache.set(key, {"slug": slug, "content": content, "at": built_at}, PAGE_TTL)
    response = _html(content, PAGE_MAX_AGE)
    keep(response, petition_id=petition_id, version=version, built_at=built_at)
    return response


def _document(
    kind: str, request: HttpRequest, slug: str, build: Any, **json_options: Any
) -> JsonResponse:
    petition_id = _petition_id(slug)
    version = _page_version(petition_id)
    with translation.override(settings.LANGUAGE_CODE):
        key = _cache_key(kind, petition_id, request, version)
    document = cache.get(key)
    if document is not None and document.get("_slug") == slug:
        document = dict(document)
    else:
        built_at = time.time()
        built = build(petition_id, slug=slug)
        if built is None:
            petition_id = _petition_id(slug, fresh=True)
            version = _page_version(petition_id)
            with translation.override(settings.LANGUAGE_CODE):
                key = _cache_key(kind, petition_id, request, version)
            built = build(petition_id, slug=slug)
            if built is None:
                raise Http404
        document = {**built, "_slug": slug, "_at": built_at}
        cache.set(key, document, PAGE_TTL)
    document.pop("_slug")
    built_at = document.pop("_at", 0)
    response = JsonResponse(document, **json_options)
    keep(response, petition_id=petition_id, version=version, built_at=built_at)
    return response


@require_safe
def petition_count(request: HttpRequest, slug: str) -> JsonResponse:
    """count.json: refreshed by static/js/count.js every few seconds."""
    response = _document("count", request, slug, pages.count_document)
    patch_cache_control(response, public=True, max_age=COUNT_MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def petition_open_data(request: HttpRequest, slug: str) -> JsonResponse:
    """The petition as open data (/petitions/<slug>.json)."""
    response = _document(
        "open-data",
        request,
        slug,
        pages.open_data_document,
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(response, public=True, max_age=60)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
