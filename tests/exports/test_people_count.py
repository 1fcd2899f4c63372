"""How many people an export holds (`service.count_people`), as its audit row says."""

import pytest

from cases.exports.service import count_people
from cases.models import Family
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory, SeparationFactory

pytestmark = pytest.mark.django_db


def test_each_person_on_the_selected_cases_counts_once():
    first, second, other = FamilyFactory(), FamilyFactory(), FamilyFactory()
    mother, son, daughter = PersonFactory(), PersonFactory(), PersonFactory()
    MembershipFactory(family=first, person=mother)
    MembershipFactory(family=first, person=son)
    SeparationFactory(family=first, person=son)  # a member, and separated
    SeparationFactory(family=first, person=daughter)  # separated only
    MembershipFactory(family=second, person=mother)  # on two selected cases
    MembershipFactory(family=other, person=PersonFactory())  # on a case not selected

    selected = Family.objects.filter(pk__in=[first.pk, second.pk])

    assert count_people(selected) == 3
    assert count_people(Family.objects.filter(pk=other.pk)) == 1
    assert count_people(Family.objects.none()) == 0
