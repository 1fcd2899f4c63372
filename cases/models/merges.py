"""Two records of one person, merged, and how to undo it.

`cases.merging.person_merge` moves every link of the merged record (memberships,
separations, "separated from" links, reporting contacts, changes of condition) to the
kept one and marks the merged record `merged_into` the kept one, which takes it out
of every list (`Person.objects.visible_to`). What moved is kept here, by row, so that
`person_merge_undo` puts each row back where it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from cases.models.people import Person


class PersonMerge(models.Model):
    kept = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="merges_kept",
        verbose_name=_("kept record"),
    )
    merged = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="merges_merged",
        verbose_name=_("merged record"),
    )
    # What moved, by primary key: {"memberships": [...], "separations": [...],
    # "separated_from": [...], "reporting_for": [...], "conditions": [...],
    # "dropped_memberships": [{"family": pk, "role": "child"}]} (cases/merging.py).
    moved = models.JSONField(_("what moved"), default=dict, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), db_default=Now(), editable=False)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge of two records")
        verbose_name_plural = _("merges of two records")
        ordering = ["-merged_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="merge_of_two_records", condition=~Q(kept=models.F("merged"))
            ),
            # A record is merged away once at a time: undo it before merging it again.
            models.UniqueConstraint(
                fields=["merged"],
                condition=Q(undone_at__isnull=True),
                name="merge_once_until_undone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged} → {self.kept}"
