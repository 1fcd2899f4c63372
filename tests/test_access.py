"""Who finds and opens which case, and which fields they see. Enforced on the server."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.models import AuditEvent, Family, Person
from cases.roles import Role
from tests.factories import (
    FamilyFactory,
    MembershipFactory,
    PersonFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted_case(other_worker):
    family = FamilyFactory(name="Hidden", restricted=True)
    family.caseworkers.add(other_worker)
    MembershipFactory(
        family=family,
        person__name_latin="Zeynep Hidden",
        person__name_uyghur="زەينەپ",
        person__contact_details="+86 555 0101",
    )
    return family


def visible_names(user):
    return set(Family.objects.visible_to(user).values_list("name", flat=True))


def test_a_restricted_case_is_seen_only_by_its_caseworkers_and_supervisors(
    restricted_case, worker, other_worker, supervisor, advocate
):
    assert "Hidden" in visible_names(other_worker)
    assert "Hidden" in visible_names(supervisor)
    assert "Hidden" not in visible_names(worker)
    assert "Hidden" not in visible_names(advocate)


def test_team_membership_opens_the_teams_unrestricted_cases_only(worker):
    team = TeamFactory(members=[worker])
    FamilyFactory(name="Team case", team=team)
    FamilyFactory(name="Team restricted", team=team, restricted=True)
    FamilyFactory(name="Other team", team=TeamFactory())

    assert visible_names(worker) == {"Team case"}


def test_advocates_see_every_unrestricted_case(advocate):
    FamilyFactory(name="Open")
    FamilyFactory(name="Closed door", restricted=True)

    assert visible_names(advocate) == {"Open"}


def test_inactive_or_non_staff_users_see_nothing(supervisor):
    FamilyFactory(name="Any")
    supervisor.is_active = False
    supervisor.save()
    supporter = UserFactory(username="signer")

    assert visible_names(supervisor) == set()
    assert visible_names(supporter) == set()


def test_people_on_restricted_cases_are_hidden_but_unattached_people_are_not(
    restricted_case, worker
):
    PersonFactory(name_latin="Not yet on a case")

    names = set(Person.objects.visible_to(worker).values_list("name_latin", flat=True))

    assert names == {"Not yet on a case"}


def test_roles_are_groups_with_the_declared_permissions():
    def perms(role):
        group = Group.objects.get(name=role)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert "cases.view_all_cases" in perms(Role.SUPERVISOR)
    assert "cases.view_auditevent" in perms(Role.SUPERVISOR)
    assert "cases.delete_family" not in perms(Role.CASEWORKER)
    assert "cases.view_private_fields" not in perms(Role.ADVOCATE)
    assert not any(p.startswith(("cases.add", "cases.change")) for p in perms(Role.ADVOCATE))
    # Petition editors write petitions and moderate signatures; no case data at all.
    editor = perms(Role.PETITION_EDITOR)
    assert {"cases.change_petition", "cases.moderate_signatures"} <= editor
    case_data = ("family", "person", "membership", "separation", "governmentcontact")
    case_data += ("timelineentry", "private_fields", "all_cases", "unrestricted_cases")
    assert not any(p.endswith(tuple(f"_{name}" for name in case_data)) for p in editor)


class TestAdmin:
    """The admin enforces the same rules: absent means 404, and the attempt is logged."""

    @pytest.mark.parametrize("view", ["change", "history", "delete"])
    def test_guessing_a_restricted_case_id_gives_404_and_is_logged(
        self, as_user, worker, restricted_case, view
    ):
        url = reverse(f"admin:cases_family_{view}", args=[restricted_case.pk])

        response = as_user(worker).get(url)

        assert response.status_code == 404
        refusal = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_REFUSED)
        assert (refusal.actor, refusal.detail) == (worker, f"cases.family {restricted_case.pk}")

    def test_a_missing_id_and_a_hidden_id_look_the_same(self, as_user, worker, restricted_case):
        client = as_user(worker)
        hidden = client.get(reverse("admin:cases_family_change", args=[restricted_case.pk]))
        missing = client.get(reverse("admin:cases_family_change", args=[999999]))

        assert hidden.status_code == missing.status_code == 404
        assert AuditEvent.objects.filter(action="access_refused").count() == 1

    def test_restricted_cases_are_absent_from_lists_search_and_counts(
        self, as_user, worker, restricted_case
    ):
        mine = FamilyFactory(name="Mine")
        mine.caseworkers.add(worker)
        client = as_user(worker)

        listing = client.get(reverse("admin:cases_family_changelist"))
        search = client.get(reverse("admin:cases_family_changelist"), {"q": "زەينەپ"})
        people = client.get(reverse("admin:cases_person_changelist"), {"q": "Zeynep"})

        assert [f.name for f in listing.context["cl"].result_list] == ["Mine"]
        assert listing.context["cl"].full_result_count == 1
        assert search.context["cl"].result_count == 0
        assert people.context["cl"].result_count == 0
        assert "Hidden" not in listing.content.decode()

    def test_autocomplete_does_not_offer_people_on_restricted_cases(
        self, as_user, worker, restricted_case
    ):
        response = as_user(worker).get(
            reverse("admin:autocomplete"),
            {
                "term": "Zeynep",
                "app_label": "cases",
                "model_name": "membership",
                "field_name": "person",
            },
        )

        assert response.status_code == 200
        assert response.json()["results"] == []

    def test_an_advocate_reads_a_case_without_its_private_fields(self, as_user, advocate):
        family = FamilyFactory(internal_summary="INTERNAL-SUMMARY-MARK")
        person = PersonFactory(
            contact_details="PHONE-MARK", location_place="PLACE-MARK", notes="NOTES-MARK"
        )
        MembershipFactory(family=family, person=person)
        client = as_user(advocate)

        pages = [
            client.get(reverse("admin:cases_family_change", args=[family.pk])),
            client.get(reverse("admin:cases_person_change", args=[person.pk])),
        ]

        for page in pages:
            assert page.status_code == 200
            html = page.content.decode()
            for mark in ("INTERNAL-SUMMARY-MARK", "PHONE-MARK", "PLACE-MARK", "NOTES-MARK"):
                assert mark not in html
        assert 'name="name_latin"' not in pages[1].content.decode()  # read-only for advocates

    def test_only_supervisors_assign_caseworkers_or_restrict_a_case(
        self, as_user, worker, admin_form
    ):
        family = FamilyFactory(name="Assigned")
        family.caseworkers.add(worker)
        client = as_user(worker)
        url = reverse("admin:cases_family_change", args=[family.pk])

        data = admin_form(client.get(url))
        data.update(restricted="on", caseworkers=[str(worker.pk)], name="Assigned 2")
        response = client.post(url, data)

        family.refresh_from_db()
        assert response.status_code == 302
        assert family.name == "Assigned 2"
        assert family.restricted is False

    def test_a_caseworker_who_opens_a_case_is_assigned_to_it(self, as_user, worker, admin_form):
        client = as_user(worker)
        data = admin_form(client.get(reverse("admin:cases_family_add")))
        data["name"] = "New case"

        response = client.post(reverse("admin:cases_family_add"), data)

        assert response.status_code == 302
        assert list(Family.objects.get(name="New case").caseworkers.all()) == [worker]


def test_the_country_filter_offers_only_countries_of_visible_cases(as_user, worker):
    mine = FamilyFactory(host_country="BE")
    mine.caseworkers.add(worker)
    FamilyFactory(host_country="IT", restricted=True)

    response = as_user(worker).get(reverse("admin:cases_family_changelist"))

    [country_filter] = [
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "host_country"
    ]
    offered = [choice["display"] for choice in country_filter.choices(response.context["cl"])]
    assert offered == ["All", "Belgium"]
