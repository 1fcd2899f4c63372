"""The admin site: staff only, and only after a second factor.

Its own login page is replaced by the staff login flow (cases/accounts/), which asks
for a password and then a code, a recovery code or a passkey. Every model admin on it,
ours or a library's, is a `GuardedModelAdmin`.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.db import DataError, NotSupportedError
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from cases.accounts import is_verified, safe_next_url
from cases.text import normalise_search_term


class GuardedModelAdmin(admin.ModelAdmin):
    """What every list of the admin holds to, whatever its model:

    - Query-string filters only on what the sidebar offers: no reverse relations
      (?families=<a restricted case>), no private, index or JSON fields (?notes=,
      ?contact_index__regex=, ?fields__contains=). Django alone allows any one-step
      lookup. A refused lookup answers 400.
    - A lookup the database cannot run (a JSON `contains` on SQLite, a value PostgreSQL
      rejects) answers 400 too, never 500.
    - Search terms are normalised like the names they are compared with (NFC, no
      hidden characters), so a name typed in another Unicode form is still found.
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        offered = {
            spec.parameter_name
            if isinstance(spec, type)
            else spec
            if isinstance(spec, str)
            else spec[0]
            for spec in self.get_list_filter(request)
        }
        if self.date_hierarchy:
            offered.add(self.date_hierarchy)
        return lookup.split(LOOKUP_SEP)[0] in offered and super().lookup_allowed(
            lookup, value, request
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        try:
            return super().changelist_view(request, extra_context)
        except (NotSupportedError, DataError) as error:
            raise BadRequest("This filter cannot be applied.") from error

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return super().get_search_results(request, queryset, normalise_search_term(search_term))


class ReuniteAdminSite(admin.AdminSite):
    site_header = site_title = "Reunite"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every model admin registered here, a library's too, gets the guards."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, GuardedModelAdmin):
            admin_class = type(admin_class.__name__, (GuardedModelAdmin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        """An active staff member whose session passed the second factor."""
        return super().has_permission(request) and is_verified(request.user)

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The app list, and above it the signed-in caseworker's dashboard."""
        from cases.admin.dashboard import index_context  # cases loads after this module

        return super().index(request, {**index_context(request), **(extra_context or {})})

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Send everyone to the staff login, keeping `next` only if it stays on this site."""
        default = reverse("admin:index", current_app=self.name)
        next_url = safe_next_url(request, request.GET.get(REDIRECT_FIELD_NAME), default=default)
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
