from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases.public.urls import data_urlpatterns

admin.site.site_header = admin.site.site_title = "Reunite"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Passkeys first: the package's script tags reverse the "otp_webauthn" namespace.
    path("staff/webauthn/", include("cases.accounts.webauthn")),
    path("staff/", include("cases.urls")),
    # The public petitions' JSON (count, open data): the same in every language.
    path("", include(data_urlpatterns)),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
# The public pages, in the reader's language: /en/petitions/…, /ug/petitions/…
urlpatterns += i18n_patterns(path("", include("cases.public.urls")), prefix_default_language=True)
