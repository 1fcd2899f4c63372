"""The caseworkers' daily tool. Thin: queries live on the QuerySets, changes that
belong on the timeline go through `cases.services`.

One module a group of pages; importing the package registers them all.
"""

from cases.admin import audit, families, merges, people, petitions, records
from cases.admin.base import BoundedInline, CaseRecordAdmin, CaseRecordForm

__all__ = [
    "BoundedInline",
    "CaseRecordAdmin",
    "CaseRecordForm",
    "audit",
    "families",
    "merges",
    "people",
    "petitions",
    "records",
]
