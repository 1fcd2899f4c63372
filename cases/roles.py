"""The staff roles, as groups of permissions. Kept in sync after every `migrate`.

Permissions decide what a role may do; `Family.objects.visible_to()` decides which
cases it may do it on; `cases.access` decides which fields it may see.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CASE_RECORDS = ["person", "family", "membership", "separation", "governmentcontact"]

# Writing petitions and moderating their signatures (cases/admin/petitions.py). Deleting
# is not among them: a signature is invalidated with a record, never deleted.
PETITION_WORK = [
    *[f"cases.{action}_petition" for action in ("view", "add", "change")],
    *[f"cases.{action}_petitiontext" for action in ("view", "add", "change", "delete")],
    "cases.view_signature",
    "cases.view_signatureinvalidation",
    "cases.moderate_signatures",
]


class Role(StrEnum):
    CASEWORKER = "Caseworker"
    SUPERVISOR = "Supervisor"
    ADVOCATE = "Advocate"
    PETITION_EDITOR = "Petition editor"


def _crud(models: list[str], actions: tuple[str, ...]) -> list[str]:
    return [f"cases.{action}_{model}" for model in models for action in actions]


ROLE_PERMISSIONS: dict[Role, list[str]] = {
    # Works on the cases assigned to them or their team; never deletes a person or a case.
    Role.CASEWORKER: [
        *_crud(["person", "family"], ("view", "add", "change")),
        *_crud(
            ["membership", "separation", "governmentcontact", "timelineentry"],
            ("view", "add", "change", "delete"),
        ),
        "cases.view_private_fields",
        # Internal-level summaries of the cases they may open (cases/exports/).
        "cases.export_cases",
    ],
    # Sees everything, assigns caseworkers, reads the audit trail, manages staff.
    Role.SUPERVISOR: [
        *_crud([*CASE_RECORDS, "timelineentry", "team"], ("view", "add", "change", "delete")),
        "cases.view_all_cases",
        "cases.view_private_fields",
        "cases.assign_caseworkers",
        "cases.export_cases",
        "cases.view_auditevent",
        "cases.reset_two_factor",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        *PETITION_WORK,
    ],
    # Reads unrestricted cases without private fields, and exports them.
    Role.ADVOCATE: [
        *_crud([*CASE_RECORDS, "timelineentry"], ("view",)),
        "cases.view_unrestricted_cases",
        "cases.export_cases",
    ],
    # Petitions only: writes them, publishes, closes, moderates their signatures; no
    # case data (the families menu offers only cases the editor may open).
    Role.PETITION_EDITOR: PETITION_WORK,
}


def _permission_filter(names: list[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups and set their permissions exactly as declared here."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = list(Permission.objects.filter(_permission_filter(names)))
        missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise LookupError(f"Role {role.value} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)
