"""What caseworkers record: people, families (the case), separations, government
contacts, and the case timeline (status changes and dated entries with sources).

State changes that must be kept on the timeline (statuses, consent) are made by
`cases.services`, never by assigning the field and saving. Private free text and
contact details are encrypted at rest (`cases.crypto`); evidence files are stored
privately under random names (`cases.evidence`).

One module a group of models; everything is importable from `cases.models`.
"""

from cases.models.audit import AuditEvent, AuditEventQuerySet
from cases.models.contacts import GovernmentContact, validate_date_not_in_future
from cases.models.digest import DigestPreference, WeeklyDigest
from cases.models.exports import ExportDownload, ExportDownloadQuerySet
from cases.models.families import Family, FamilyQuerySet, Membership, Separation
from cases.models.imports import SpreadsheetUpload, SpreadsheetUploadQuerySet
from cases.models.merges import PersonMerge
from cases.models.people import Person, PersonQuerySet, Team
from cases.models.petitions import (
    Petition,
    PetitionEvent,
    PetitionQuerySet,
    PetitionShareImage,
    PetitionText,
    Signature,
    SignatureInvalidation,
    goals_reached,
    next_goal,
)
from cases.models.timeline import (
    ConditionChange,
    StatusChange,
    TimelineEntry,
    evidence_storage,
    status_transition,
)

__all__ = [
    "AuditEvent",
    "AuditEventQuerySet",
    "ConditionChange",
    "DigestPreference",
    "ExportDownload",
    "ExportDownloadQuerySet",
    "Family",
    "FamilyQuerySet",
    "GovernmentContact",
    "Membership",
    "Person",
    "PersonMerge",
    "PersonQuerySet",
    "Petition",
    "PetitionEvent",
    "PetitionQuerySet",
    "PetitionShareImage",
    "PetitionText",
    "Signature",
    "SignatureInvalidation",
    "SpreadsheetUpload",
    "SpreadsheetUploadQuerySet",
    "goals_reached",
    "next_goal",
    "Separation",
    "StatusChange",
    "Team",
    "TimelineEntry",
    "WeeklyDigest",
    "evidence_storage",
    "status_transition",
    "validate_date_not_in_future",
]
