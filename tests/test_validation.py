"""`cases.validation`: Django's `full_clean()` for many instances at once, with the same
verdicts and messages, in a number of queries that does not grow with the instances.

Every family and person here is fictional."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Membership, Person
from cases.validation import full_clean, full_clean_all, holds
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def message_dict(clean) -> dict[str, list[str]]:
    try:
        clean()
    except ValidationError as error:
        return error.message_dict
    return {}


@pytest.mark.parametrize(
    "fields",
    [
        {"name_latin": "Erkin Tohti"},
        {"description": "son of Erkin"},
        {"name_chinese": "艾尔肯"},
        {},
        {"name_latin": "Erkin Tohti", "consent": "named"},
        {"name_latin": "Erkin Tohti", "consent": "named", "consent_recorded_at": timezone.now()},
        {"name_latin": "Erkin\u202e Tohti", "sentence_years": 120},
    ],
)
def test_a_persons_check_constraints_are_judged_in_memory_as_full_clean_judges_them(fields):
    person = Person(**fields)

    with CaptureQueriesContext(connection) as queries:
        ours = message_dict(lambda: full_clean(person))

    assert ours == message_dict(person.full_clean)
    assert len(queries) == 0
    for constraint in Person._meta.constraints:
        assert holds(constraint.condition, person) is not None


def test_memberships_are_refused_as_full_clean_refuses_them(caseworker):
    family = FamilyFactory()
    on_record = MembershipFactory(family=family).person
    other = PersonFactory()
    memberships = [
        Membership(family=family, person=on_record, role="child"),  # a member already
        Membership(family=family, person=other, role="child"),
        Membership(family=family, person=other, role="mother"),  # twice in the batch
        Membership(family=family, person_id=10**9, role="child"),  # no such person
        Membership(family=family, person=PersonFactory(), role="landlord"),
        Membership(family=FamilyFactory(), person=on_record, role="father"),
    ]

    refused = full_clean_all(memberships)

    assert sorted(refused) == [0, 2, 3, 4]
    for index in (0, 3, 4):  # alone, Django says the same of each
        assert refused[index].message_dict == message_dict(memberships[index].full_clean)
    assert refused[2].messages == ["This person is already a member of this family."]


def test_the_queries_do_not_grow_with_the_instances():
    families = FamilyFactory.create_batch(3)
    people = PersonFactory.create_batch(40)

    def queries(count: int) -> int:
        batch = [
            Membership(family=families[i % 3], person=people[i], role="child") for i in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert full_clean_all(batch) == {}
        return len(captured)

    assert queries(2) == queries(40) == 3  # the families, the people, who is a member
