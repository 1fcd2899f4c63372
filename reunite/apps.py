from django.contrib.admin.apps import AdminConfig


class ReuniteAdminConfig(AdminConfig):
    """The admin, whose default site (`admin.site`) requires a second factor."""

    default_site = "reunite.admin.ReuniteAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscovers every app's admin.py first
        # Replaces the default user admin (adds the two-factor reset), and connects
        # the login signals: both must happen once, after every app has loaded.
        from cases.accounts import admin, signals  # noqa: F401
