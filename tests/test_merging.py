"""Merging two records of one person moves every link to the kept record, leaves a
trace on the timeline and in the audit trail, and can be undone, leaving every row
where it was. Never across a case the caseworker cannot open."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.merging import person_merge, person_merge_undo
from cases.models import (
    AuditEvent,
    ConditionChange,
    GovernmentContact,
    Membership,
    Person,
    PersonMerge,
    Separation,
    TimelineEntry,
)
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)

pytestmark = pytest.mark.django_db


def links(person):
    """Where each row that can point at a person points, by row."""
    return {
        "memberships": sorted(
            Membership.objects.filter(person=person).values_list("family_id", "role")
        ),
        "separations": sorted(Separation.objects.filter(person=person).values_list("pk")),
        "separated_from": sorted(
            Separation.separated_from.through.objects.filter(person=person).values_list(
                "separation_id"
            )
        ),
        "reporting_for": sorted(person.reported_families.values_list("pk")),
        "conditions": sorted(ConditionChange.objects.filter(person=person).values_list("pk")),
    }


@pytest.fixture
def two_records(worker):
    """The same mother entered on two cases, once as Gulnar, once as گۈلنار."""
    one_case, other_case = FamilyFactory(), FamilyFactory()
    for family in (one_case, other_case):
        family.caseworkers.add(worker)
    kept = PersonFactory(name_latin="Gulnar Abdurehim")
    merged = PersonFactory(name_latin="", name_uyghur="گۈلنار ئابدۇرېھىم")
    child = PersonFactory(name_latin="Ayshem Memet")
    MembershipFactory(family=one_case, person=kept, role=Membership.Role.MOTHER)
    MembershipFactory(family=other_case, person=merged, role=Membership.Role.MOTHER)
    MembershipFactory(family=one_case, person=merged, role=Membership.Role.OTHER)  # twice
    separation = SeparationFactory(family=other_case, person=merged)
    GovernmentContactFactory(family=other_case, separation=separation)
    childs = SeparationFactory(family=one_case, person=child)
    childs.separated_from.add(merged, kept)
    other_case.reporting_contact = merged
    other_case.save()
    ConditionChange.objects.create(
        person=merged,
        effective_on="2019",
        condition=Person.Condition.DETAINED_IN_CAMP,
        whereabouts=Person.Whereabouts.UYGHUR_REGION,
        source="Family testimony",
    )
    return kept, merged, one_case, other_case


def test_merging_moves_every_link_to_the_kept_record(worker, two_records):
    kept, merged, one_case, other_case = two_records

    person_merge(kept=kept, merged=merged, actor=worker)

    assert links(merged) == {k: [] for k in links(merged)}
    moved = links(kept)
    assert moved["memberships"] == sorted([(one_case.pk, "mother"), (other_case.pk, "mother")])
    assert len(moved["separations"]) == 1
    assert len(moved["separated_from"]) == 1  # the child's link to both is now one
    assert moved["reporting_for"] == [(other_case.pk,)]
    assert len(moved["conditions"]) == 1
    contact = GovernmentContact.objects.get()
    assert contact.separation.person == kept


def test_a_merged_record_is_in_no_list(worker, two_records):
    kept, merged, *_cases = two_records

    person_merge(kept=kept, merged=merged, actor=worker)

    assert list(Person.objects.visible_to(worker).filter(pk__in=[kept.pk, merged.pk])) == [kept]


def test_a_merge_is_on_the_timeline_of_each_case_and_in_the_audit_trail(worker, two_records):
    kept, merged, one_case, other_case = two_records

    merge = person_merge(kept=kept, merged=merged, actor=worker)

    entries = TimelineEntry.objects.filter(title__startswith="Two records of one person merged")
    assert sorted(e.family_id for e in entries) == sorted([one_case.pk, other_case.pk])
    assert not any(e.publishable for e in entries)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_id=str(merge.pk), detail="merge"
    ).exists()


def test_undoing_a_merge_leaves_every_row_where_it_was(worker, two_records):
    kept, merged, *_cases = two_records
    before = (links(kept), links(merged))

    merge = person_merge(kept=kept, merged=merged, actor=worker)
    person_merge_undo(merge=merge, actor=worker)

    assert (links(kept), links(merged)) == before
    merged.refresh_from_db()
    assert merged.merged_into is None
    assert TimelineEntry.objects.filter(title__startswith="Merge undone").count() == 2


def test_a_merge_is_undone_once(worker, two_records):
    kept, merged, *_cases = two_records
    merge = person_merge(kept=kept, merged=merged, actor=worker)
    person_merge_undo(merge=merge, actor=worker)

    with pytest.raises(ValidationError, match="undone already"):
        person_merge_undo(merge=merge, actor=worker)


def test_a_record_on_a_case_the_caseworker_cannot_open_is_never_merged(
    worker, other_worker, two_records
):
    kept, _merged, *_cases = two_records
    hidden_case = FamilyFactory(restricted=True)
    hidden_case.caseworkers.add(other_worker)
    hidden = PersonFactory(name_latin="Gulnar Abdurahim")
    MembershipFactory(family=hidden_case, person=hidden)
    before = links(hidden)

    with pytest.raises(ValidationError, match="ask a supervisor"):
        person_merge(kept=kept, merged=hidden, actor=worker)

    assert links(hidden) == before
    with pytest.raises(ValidationError, match="ask a supervisor"):
        person_merge(kept=hidden, merged=kept, actor=worker)


def test_a_record_cannot_be_merged_into_itself_or_twice(worker, two_records):
    kept, merged, *_cases = two_records
    with pytest.raises(ValidationError):
        person_merge(kept=kept, merged=kept, actor=worker)
    person_merge(kept=kept, merged=merged, actor=worker)
    with pytest.raises(ValidationError, match="merged already"):
        person_merge(kept=kept, merged=merged, actor=worker)


# --- In the admin -------------------------------------------------------------------------


def test_a_caseworker_merges_from_the_person_page_and_undoes_from_the_merges_list(
    client, login, two_records
):
    kept, merged, one_case, other_case = two_records
    caseworker = one_case.caseworkers.get()
    login(client, caseworker)
    merge_url = reverse("admin:cases_person_merge", args=[kept.pk, merged.pk])

    page = client.get(merge_url)
    assert page.status_code == 200
    assert other_case.reference in page.text
    assert client.post(merge_url).status_code == 302

    merge = PersonMerge.objects.get()
    assert merge.merged == merged
    assert client.get(reverse("admin:cases_person_change", args=[merged.pk])).status_code == 404
    undo_url = reverse("admin:cases_personmerge_undo", args=[merge.pk])
    assert undo_url in client.get(reverse("admin:cases_personmerge_change", args=[merge.pk])).text
    assert client.post(undo_url).status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None


def test_the_merge_page_of_a_hidden_record_is_a_404(client, login, other_worker, two_records):
    kept, _merged, one_case, _other = two_records
    hidden_case = FamilyFactory(restricted=True)
    hidden_case.caseworkers.add(other_worker)
    hidden = PersonFactory(name_latin="Gulnar Abdurahim")
    MembershipFactory(family=hidden_case, person=hidden)
    login(client, one_case.caseworkers.get())

    response = client.post(reverse("admin:cases_person_merge", args=[kept.pk, hidden.pk]))

    assert response.status_code == 404
    assert links(hidden)["memberships"] == [(hidden_case.pk, "child")]
