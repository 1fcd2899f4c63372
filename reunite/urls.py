from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = admin.site.site_title = "Reunite"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Passkeys first: the package's script tags reverse the "otp_webauthn" namespace.
    path("staff/webauthn/", include("cases.accounts.webauthn")),
    path("staff/", include("cases.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
