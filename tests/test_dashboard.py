"""The dashboard on the admin's front page: what each list holds, whose cases, what
stays hidden, and a number of queries that does not grow with the cases."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import dashboard, merging
from cases.models import AuditEvent, Family, Petition, PetitionText, Separation, StatusChange
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    SeparationFactory,
    TeamFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def days_ago(days):
    return timezone.localdate() - dt.timedelta(days=days)


def assigned_case(user, **fields):
    family = FamilyFactory(**fields)
    family.caseworkers.add(user)
    return family


def follow_up(family, due, **fields):
    return GovernmentContactFactory(family=family, follow_up_on=due, **fields)


def status_changed(separation, days, actor=None):
    return StatusChange.objects.create(
        family=separation.family,
        separation=separation,
        to_status=separation.status,
        effective_on="2020",
        changed_at=timezone.now() - dt.timedelta(days=days),
        actor=actor,
    )


def audited(family, actor, *, action=AuditEvent.Action.CHANGE, days=0, obj=None, fields=()):
    obj = obj or family
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        case_reference="" if obj._meta.label_lower == "cases.person" else family.reference,
        fields=list(fields),
        at=timezone.now() - dt.timedelta(days=days),
    )


def petition_for(*families, status=Petition.Status.PUBLISHED, signatures=0, slug=None):
    petition = Petition.objects.create(
        slug=slug or f"petition-{Petition.objects.count() + 1}",
        addressee_name="Minister Example",
        status=status,
        signature_count=signatures,
    )
    PetitionText.objects.create(
        petition=petition,
        language="en",
        title=f"Title of {petition.slug}",
        summary="A summary.",
        letter="A letter.",
    )
    petition.families.set(families)
    return petition


# --- Follow-ups --------------------------------------------------------------------


def test_follow_ups_overdue_and_due_this_week_are_listed_apart(worker):
    family = assigned_case(worker)
    overdue = follow_up(family, days_ago(3), body="Home Office")
    due = follow_up(family, days_ago(-4), body="Foreign Ministry")
    follow_up(family, days_ago(-9), body="Later body")  # beyond the week
    follow_up(family, days_ago(5), response_on=days_ago(1).isoformat())  # answered

    board = dashboard.dashboard(user=worker)

    assert [item.url for item in board.overdue.items] == [
        reverse("admin:cases_governmentcontact_change", args=[overdue.pk])
    ]
    assert board.overdue.items[0].overdue
    assert [item.body for item in board.due_soon.items] == ["Foreign Ministry"]
    assert board.due_soon.items[0].case_url == reverse(
        "admin:cases_family_change", args=[family.pk]
    )
    assert (board.overdue.total, board.due_soon.total) == (1, 1)
    assert due.pk  # listed above by its body


def test_the_page_links_each_follow_up_to_its_record_and_its_case(as_user, worker):
    family = assigned_case(worker, reference="F-2026-0101")
    contact = follow_up(family, days_ago(2), body="Department of Home Affairs")

    page = as_user(worker).get(INDEX).content.decode()

    assert reverse("admin:cases_governmentcontact_change", args=[contact.pk]) in page
    assert reverse("admin:cases_family_change", args=[family.pk]) in page
    assert "F-2026-0101" in page
    assert "Department of Home Affairs" in page


# --- Whose cases, and what stays hidden ---------------------------------------------


def test_a_caseworker_sees_the_cases_assigned_to_them_or_their_team_only(
    worker, other_worker, advocate
):
    team = TeamFactory(members=[worker])
    mine = assigned_case(worker, reference="F-2026-0001")
    teams = FamilyFactory(reference="F-2026-0002", team=team)
    others = assigned_case(other_worker, reference="F-2026-0003")
    # On the team but restricted to someone else: the caseworker may not even open it.
    hidden = FamilyFactory(reference="F-2026-0004", team=team, restricted=True)
    hidden.caseworkers.add(other_worker)
    unassigned = FamilyFactory(reference="F-2026-0005")
    for family in (mine, teams, others, hidden, unassigned):
        follow_up(family, days_ago(1))

    board = dashboard.dashboard(user=worker)

    assert board.overdue.references == ["F-2026-0001", "F-2026-0002"]
    assert not board.everyone


def test_a_hidden_case_reaches_no_list_of_the_page(as_user, worker, other_worker):
    team = TeamFactory(members=[worker])
    hidden = FamilyFactory(reference="F-2026-0777", name="Hiddenfamily", team=team, restricted=True)
    hidden.caseworkers.add(other_worker)
    separation = SeparationFactory(family=hidden, person__name_latin="Secretperson Name")
    status_changed(separation, 800)
    follow_up(hidden, days_ago(2), body="Secret Body")
    audited(hidden, other_worker)
    petition_for(hidden, signatures=9, slug="hidden-petition")

    page = as_user(worker).get(INDEX).content.decode()

    for secret in ("F-2026-0777", "Hiddenfamily", "Secretperson", "Secret Body", "hidden-petition"):
        assert secret not in page


def test_a_supervisor_sees_everyones_cases_and_filters_by_caseworker_and_team(
    as_user, supervisor, worker, other_worker
):
    team = TeamFactory(name="North")
    first = assigned_case(worker, reference="F-2026-0011")
    second = assigned_case(other_worker, reference="F-2026-0012", team=team)
    unassigned = FamilyFactory(reference="F-2026-0013", restricted=True)
    for family in (first, second, unassigned):
        follow_up(family, days_ago(1))

    everyone = dashboard.dashboard(user=supervisor)
    by_worker = dashboard.dashboard(user=supervisor, caseworker=worker)
    by_team = dashboard.dashboard(user=supervisor, team=team)

    assert everyone.everyone
    assert everyone.overdue.references == ["F-2026-0011", "F-2026-0012", "F-2026-0013"]
    assert by_worker.overdue.references == ["F-2026-0011"]
    assert by_team.overdue.references == ["F-2026-0012"]
    assert by_worker.overdue.more_url.endswith(
        f"?caseworkers__id__exact={worker.pk}&follow_up=overdue"
    )
    page = as_user(supervisor).get(INDEX, {"caseworker": worker.pk}).content.decode()
    assert "F-2026-0011" in page
    assert "F-2026-0012" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"caseworker": "not-a-number"},
        {"caseworker": "999999"},
        {"team": "-1"},
        {"team": "1' OR 1=1"},
        {"caseworker": ["1", "2"], "team": "x" * 5000},
    ],
)
def test_a_supervisor_filter_naming_nobody_is_a_form_error_not_a_500(
    as_user, supervisor, worker, query
):
    follow_up(assigned_case(worker, reference="F-2026-0021"), days_ago(1))

    response = as_user(supervisor).get(INDEX, query)

    assert response.status_code == 200
    page = response.content.decode()
    assert "That filter names no caseworker or team" in page
    assert "F-2026-0021" in page  # everyone's cases, unfiltered


def test_a_caseworker_cannot_see_another_caseworkers_cases_through_the_filter(
    as_user, worker, other_worker
):
    follow_up(assigned_case(other_worker, reference="F-2026-0031"), days_ago(1))

    page = as_user(worker).get(INDEX, {"caseworker": other_worker.pk}).content.decode()

    assert "F-2026-0031" not in page
    assert 'id="dashboard-filter"' not in page


def test_advocates_and_petition_editors_get_the_app_list_without_a_dashboard(
    as_user, advocate, petition_editor
):
    follow_up(FamilyFactory(), days_ago(1))
    for user in (advocate, petition_editor):
        response = as_user(user).get(INDEX)
        assert response.status_code == 200
        assert 'id="case-dashboard"' not in response.content.decode()


# --- Quiet cases --------------------------------------------------------------------


def test_quiet_cases_are_open_cases_without_contact_with_the_family_or_a_government(worker):
    long_ago = days_ago(200)
    quiet = assigned_case(worker, reference="F-2026-0041")
    GovernmentContactFactory(family=quiet, contacted_on=long_ago)
    SeparationFactory(family=quiet, person__last_contact=long_ago.isoformat())
    never = assigned_case(worker, reference="F-2026-0042")
    asked = assigned_case(worker, reference="F-2026-0043")
    GovernmentContactFactory(family=asked, contacted_on=days_ago(10))
    news = assigned_case(worker, reference="F-2026-0044")
    TimelineEntryFactory(family=news, kind="contact", occurred_on=days_ago(20).isoformat())
    press = assigned_case(worker, reference="F-2026-0045")  # media is no contact
    TimelineEntryFactory(family=press, kind="media", occurred_on=days_ago(20).isoformat())
    heard = assigned_case(worker, reference="F-2026-0046")
    SeparationFactory(family=heard, person__last_contact=f"{days_ago(90):%Y-%m}")
    assigned_case(worker, reference="F-2026-0047", status=Family.Status.CLOSED)

    board = dashboard.dashboard(user=worker)

    assert sorted(board.quiet.references) == ["F-2026-0041", "F-2026-0042", "F-2026-0045"]
    by_reference = {item.reference: item for item in board.quiet.items}
    assert str(by_reference["F-2026-0041"].last_contact) == long_ago.isoformat()
    assert by_reference["F-2026-0042"].last_contact is None
    assert board.quiet.items[0].reference == never.reference  # "never" first


# --- Separations whose status has not changed ---------------------------------------


def test_separations_whose_status_has_not_changed_for_a_year_are_listed(worker):
    family = assigned_case(worker, reference="F-2026-0051")
    old = SeparationFactory(family=family, person__name_latin="Old Status")
    status_changed(old, 400)
    recent = SeparationFactory(family=family, person__name_latin="Recent Status")
    status_changed(recent, 400)
    status_changed(recent, 30)  # the latest change is what counts
    never = SeparationFactory(family=family, person__name_latin="Never Recorded")
    reunited = SeparationFactory(
        family=family, status=Separation.Status.REUNITED, person__name_latin="Back Home"
    )
    status_changed(reunited, 400)

    board = dashboard.dashboard(user=worker)

    names = [item.person.strip("\u2068\u2069") for item in board.stale.items]  # isolated
    assert names == ["Never Recorded", "Old Status"]
    assert board.stale.items[0].status_changed_at is None
    assert board.stale.items[1].url == reverse("admin:cases_separation_change", args=[old.pk])
    assert never.pk


# --- Recent changes -----------------------------------------------------------------


def test_recent_changes_are_others_changes_of_the_last_week_on_these_cases(worker, other_worker):
    family = assigned_case(worker, reference="F-2026-0061")
    member = MembershipFactory(family=family).person
    elsewhere = assigned_case(other_worker, reference="F-2026-0062")
    audited(family, other_worker, fields=["status", "priority"])
    audited(family, other_worker, obj=member, fields=["condition", "not_a_field"])
    audited(family, None, action=AuditEvent.Action.CREATE)  # the system's
    audited(family, worker)  # their own
    audited(family, other_worker, days=8)  # too old
    audited(family, other_worker, action=AuditEvent.Action.VIEW)  # not a change
    audited(elsewhere, other_worker)  # not their case

    board = dashboard.dashboard(user=worker)

    assert board.changes.total == 3
    person_change, family_change = board.changes.items[1], board.changes.items[2]
    assert family_change.record == "family"
    assert family_change.fields == ["status", "priority"]
    assert family_change.actor == "omar"
    assert family_change.url == reverse("admin:cases_family_change", args=[family.pk])
    assert person_change.reference == "F-2026-0061"
    assert person_change.fields == ["condition"]
    assert person_change.url == reverse("admin:cases_person_change", args=[member.pk])
    assert board.changes.items[0].actor == ""


def person_url(person):
    return reverse("admin:cases_person_change", args=[person.pk])


def test_merges_and_their_undos_are_recent_changes_linked_to_a_person_on_these_cases(
    as_user, worker, other_worker, supervisor
):
    mine = assigned_case(worker, reference="F-2026-0081")
    theirs = assigned_case(other_worker, reference="F-2026-0082")
    kept = MembershipFactory(family=mine, person__name_latin="Ablikim Qadir").person
    merged = MembershipFactory(family=theirs, person__name_latin="Ablekim Kadir").person
    merge = merging.person_merge(kept=kept, merged=merged, actor=supervisor)
    merging.person_merge_undo(merge=merge, actor=supervisor)

    board = dashboard.dashboard(user=worker)
    # The merged record came back to the other case: for its caseworker, it is the link.
    their_board = dashboard.dashboard(user=other_worker)

    assert board.changes.total == their_board.changes.total == 2
    undo, merged_row = board.changes.items
    assert [undo.action, merged_row.action] == [merging.UNDONE, merging.MERGED]
    assert {undo.reference, merged_row.reference} == {"F-2026-0081"}
    assert {undo.url, merged_row.url} == {person_url(kept)}
    assert undo.actor == merged_row.actor == "sara"
    assert {item.reference for item in their_board.changes.items} == {"F-2026-0082"}
    assert {item.url for item in their_board.changes.items} == {person_url(merged)}
    page = as_user(worker).get(INDEX).content.decode()
    assert f'<a href="{person_url(kept)}">Two records of one person merged</a>' in page
    assert f'<a href="{person_url(kept)}">The merge is undone: two records again.</a>' in page
    assert "Kadir" not in page  # a merge shows no name
    listed = as_user(worker).get(board.changes.more_url).context["cl"].result_list
    assert [family.reference for family in listed] == ["F-2026-0081"]


def test_a_merge_on_cases_one_does_not_follow_or_cannot_open_is_not_listed(
    as_user, worker, other_worker, supervisor
):
    team = TeamFactory(members=[worker])
    hidden = FamilyFactory(reference="F-2026-0083", team=team, restricted=True)
    hidden.caseworkers.add(other_worker)
    elsewhere = assigned_case(other_worker, reference="F-2026-0084")
    for family in (hidden, elsewhere):
        kept, merged = (MembershipFactory(family=family).person for _ in range(2))
        merging.person_merge(kept=kept, merged=merged, actor=supervisor)
    assigned_case(worker)  # their own case, with nothing merged

    board = dashboard.dashboard(user=worker)
    page = as_user(worker).get(INDEX).content.decode()

    assert board.changes.total == 0
    assert "F-2026-0083" not in page
    assert "Two records of one person merged" not in page


# --- Petitions ----------------------------------------------------------------------


def test_open_petitions_on_these_cases_are_listed_with_their_counts(worker, other_worker):
    mine = assigned_case(worker, reference="F-2026-0071")
    theirs = assigned_case(other_worker, reference="F-2026-0072")
    shared = petition_for(mine, theirs, signatures=1500, slug="shared")
    petition_for(mine, signatures=20, slug="small")
    petition_for(mine, status=Petition.Status.DRAFT, slug="draft")
    petition_for(theirs, signatures=99, slug="theirs")

    board = dashboard.dashboard(user=worker)

    assert [item.title for item in board.petitions.items] == ["Title of shared", "Title of small"]
    assert board.petitions.signatures == 1520
    # Only the cases this caseworker follows are named beside the petition.
    assert board.petitions.items[0].references == ["F-2026-0071"]
    # Caseworkers do not manage petitions: the link is the public page.
    assert board.petitions.items[0].url == reverse(
        "public:petition_detail", kwargs={"slug": shared.slug}
    )


# --- Caps, links and the family-list filters ----------------------------------------


def test_a_list_shows_20_items_and_counts_and_links_the_rest(as_user, worker):
    for number in range(25):
        follow_up(assigned_case(worker, reference=f"F-2026-{number:04d}"), days_ago(1 + number))

    board = dashboard.dashboard(user=worker)
    page = as_user(worker).get(INDEX).content.decode()

    assert (len(board.overdue.items), board.overdue.total, board.overdue.more) == (20, 25, 5)
    assert board.overdue.items[0].reference == "F-2026-0024"  # the most overdue first
    assert "and 5 more" in page
    assert board.overdue.more_url == (
        reverse("admin:cases_family_changelist") + "?assigned=me&follow_up=overdue"
    )


def test_each_more_link_opens_a_family_list_with_the_same_cases(as_user, worker, other_worker):
    team = TeamFactory(members=[worker])
    for number in range(4):
        family = (
            assigned_case(worker, reference=f"F-2026-01{number:02d}")
            if number % 2
            else FamilyFactory(reference=f"F-2026-01{number:02d}", team=team)
        )
        status_changed(SeparationFactory(family=family), 500)
        audited(family, other_worker)
        follow_up(family, days_ago(number + 1))
    quiet_elsewhere = assigned_case(other_worker, reference="F-2026-0199")
    audited(quiet_elsewhere, worker)
    board = dashboard.dashboard(user=worker)
    client = as_user(worker)

    for section in (board.overdue, board.quiet, board.stale, board.changes):
        listed = client.get(section.more_url).context["cl"].result_list
        assert sorted(family.reference for family in listed) == sorted(section.references)
        assert len(section.references) == 4


# --- A fixed number of queries ------------------------------------------------------


def add_cases(count, caseworker, author):
    """Cases with something in every list, recent changes of every kind among them: to
    the case, to a person on it, and a merge of two records and its undo."""
    team = TeamFactory()
    for _ in range(count):
        family = assigned_case(caseworker, team=team)
        family.caseworkers.add(author)  # who merges must open the case
        member = MembershipFactory(family=family).person
        merge = merging.person_merge(
            kept=member, merged=MembershipFactory(family=family).person, actor=author
        )
        merging.person_merge_undo(merge=merge, actor=author)
        status_changed(SeparationFactory(family=family), 500)
        follow_up(family, days_ago(2))
        follow_up(family, days_ago(-2))
        audited(family, author, fields=["status"])
        audited(family, author, obj=member, fields=["condition"])
        petition_for(family, signatures=3)
    return team


def queries_for(client, data=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(INDEX, data or {})
        assert response.status_code == 200
    assert 'id="case-dashboard"' in response.content.decode()
    return len(captured)


def test_the_caseworkers_dashboard_costs_the_same_queries_for_3_or_30_cases(
    as_user, worker, other_worker
):
    client = as_user(worker)
    add_cases(3, worker, other_worker)
    few = queries_for(client)

    add_cases(27, worker, other_worker)
    many = queries_for(client)

    board = dashboard.dashboard(user=worker)
    assert board.overdue.total == 30
    assert {merging.MERGED, merging.UNDONE} <= {item.action for item in board.changes.items}
    assert many == few


@pytest.mark.parametrize("filtered", [False, True])
def test_the_supervisors_dashboard_costs_the_same_queries_for_3_or_30_cases(
    as_user, supervisor, worker, other_worker, filtered
):
    client = as_user(supervisor)
    team = add_cases(3, worker, other_worker)
    data = {"caseworker": worker.pk, "team": team.pk} if filtered else {}
    few = queries_for(client, data)

    add_cases(27, worker, other_worker)
    # The 27 new cases are in another team: filter by a team that has all of them.
    later_team = Family.objects.order_by("-pk").first().team
    Family.objects.update(team=later_team)
    data = {"caseworker": worker.pk, "team": later_team.pk} if filtered else {}
    many = queries_for(client, data)

    assert many == few
