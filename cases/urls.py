"""Staff pages under /staff/: the login flow, the account's own settings, and
evidence downloads."""

from django.urls import include, path

from cases import digest_views
from cases import views as case_views
from cases.accounts import views

app_name = "staff"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("logout/", views.logout, name="logout"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/recovery-codes/new/", views.recovery_codes_new, name="recovery_codes_new"),
    path("password/change/", views.password_change, name="password_change"),
    path("password/change/done/", views.password_change_done, name="password_change_done"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.password_reset_complete,
        name="password_reset_complete",
    ),
    # Evidence files: permission-checked, logged downloads (cases/views.py).
    path("evidence/<int:entry_id>/", case_views.evidence_download, name="evidence_download"),
    # Case exports: the page, and downloads of those made in the background (cases/exports/).
    path("exports/", include("cases.exports.urls")),
    path("responsiveness/", include("cases.responsiveness_urls")),  # How governments answer
    path("weekly-digest/", digest_views.weekly_digest, name="weekly_digest"),  # cases/digest.py
]
