"""The admin site: staff only, and only after a second factor.

Its own login page is replaced by the staff login flow (cases/accounts/), which asks
for a password and then a code, a recovery code or a passkey.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from cases.accounts import is_verified, safe_next_url


class ReuniteAdminSite(admin.AdminSite):
    site_header = site_title = "Reunite"

    def has_permission(self, request: HttpRequest) -> bool:
        """An active staff member whose session passed the second factor."""
        return super().has_permission(request) and is_verified(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Send everyone to the staff login, keeping `next` only if it stays on this site."""
        default = reverse("admin:index", current_app=self.name)
        next_url = safe_next_url(request, request.GET.get(REDIRECT_FIELD_NAME), default=default)
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
