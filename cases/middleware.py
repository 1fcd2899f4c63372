"""Request and response wrappers that protect case data across every view."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

# Everything under these paths is for staff, whoever asks: login pages, exports, the admin.
STAFF_PATH_PREFIXES = ("/admin/", "/staff/")


class NoStoreForStaffMiddleware:
    """No browser, proxy or shared computer keeps a copy of a page meant for staff.

    Sets `Cache-Control: no-store` (with Django's other never-cache headers) and
    `Pragma: no-cache` on every response under /admin/ and /staff/ and on every
    response to a signed-in staff member, wherever it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._for_staff(request):
            add_never_cache_headers(response)
            response.headers["Pragma"] = "no-cache"
        return response

    @staticmethod
    def _for_staff(request: HttpRequest) -> bool:
        if request.path_info.startswith(STAFF_PATH_PREFIXES):
            return True
        # Without a session cookie nobody is signed in; skip loading an empty session.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)


class StaffLanguageMiddleware:
    """Staff pages speak English or Uyghur only (settings.STAFF_LANGUAGES): the other
    public languages have no staff translations, and half-translated admin pages would
    mislead. Placed right after LocaleMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(STAFF_PATH_PREFIXES) and (
            translation.get_language() not in settings.STAFF_LANGUAGES
        ):
            language = settings.STAFF_LANGUAGES[0]
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
