from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import checks  # noqa: F401  (registers the deployment checks)
        from cases.db_roles import grant_app_role_after_migrate
        from cases.evidence import delete_file_once_committed
        from cases.models import TimelineEntry
        from cases.roles import sync_roles

        post_delete.connect(
            delete_file_once_committed, sender=TimelineEntry, dispatch_uid="cases.evidence"
        )

        # After Django has created this app's permissions, make the role groups match.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="cases.sync_roles")
        # On PostgreSQL, give the app's own database role its rights on the tables as they
        # now are (REUNITE_DB_APP_ROLE; README, "Running in production").
        post_migrate.connect(
            grant_app_role_after_migrate, sender=self, dispatch_uid="cases.db_roles"
        )
