"""Merging two records of one person in the admin: from a person's page, "merge into
this record" on a possible duplicate opens a confirmation that lists what will move;
the merges list (read-only) offers each merge's undo. Both go through
`cases.merging`, which checks that the user may open every case involved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from cases import access, merging
from cases.admin.base import ReadOnlyAdmin
from cases.models import Family, Person, PersonMerge
from reunite.admin import GuardedModelAdmin


class PersonMerging:
    """PersonAdmin's merge page: confirm, then merge one record into another."""

    def get_urls(self) -> list[URLPattern]:
        merge = path(
            "<path:kept_id>/merge/<path:merged_id>/",
            self.admin_site.admin_view(self.merge_view),
            name="cases_person_merge",
        )
        return [merge, *super().get_urls()]

    def merge_view(self, request: HttpRequest, kept_id: str, merged_id: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        people = access.visible(Person.objects.all(), request.user)
        kept = people.filter(pk=kept_id).first()
        merged = people.filter(pk=merged_id).first()
        if kept is None or merged is None:
            access.refuse(request, Person, merged_id if kept else kept_id, "merge")
        if request.method == "POST":
            try:
                merging.person_merge(kept=kept, merged=merged, actor=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("%(merged)s is merged into this record.") % {"merged": merged}
                )
            return redirect("admin:cases_person_change", kept.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": Person._meta,
            "title": _("Merge two records of one person"),
            "kept": kept,
            "merged": merged,
            "merged_cases": Family.objects.filter(memberships__person=merged).distinct(),
            "merged_separations": merged.separations.select_related("family"),
        }
        return TemplateResponse(request, "admin/cases/person/merge.html", context)


@admin.register(PersonMerge)
class PersonMergeAdmin(ReadOnlyAdmin, GuardedModelAdmin):
    list_display = ["merged_at", "merged_record", "kept", "actor", "undone_at"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    fields = ["kept", "merged_record", "actor", "merged_at", "undone_by", "undone_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonMerge]:
        """Merges whose kept record the user may open."""
        visible = access.visible(Person.objects.all(), request.user)
        return (
            super()
            .get_queryset(request)
            .filter(kept__in=visible)
            .select_related("kept", "merged", "actor", "undone_by")
        )

    @admin.display(description=_("merged record"))
    def merged_record(self, merge: PersonMerge) -> str:
        return str(merge.merged)

    def get_urls(self) -> list[URLPattern]:
        undo = path(
            "<path:object_id>/undo/",
            self.admin_site.admin_view(self.undo_view),
            name="cases_personmerge_undo",
        )
        return [undo, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "undo_url": reverse("admin:cases_personmerge_undo", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def undo_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        merge = self.get_queryset(request).filter(pk=object_id).first()
        if merge is None:
            access.refuse(request, PersonMerge, object_id, "undo")
        if request.method != "POST" or not request.user.has_perm("cases.change_person"):
            raise PermissionDenied
        try:
            merging.person_merge_undo(merge=merge, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The merge is undone: two records again."))
        return redirect("admin:cases_personmerge_change", merge.pk)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("cases.change_person")
