import pytest

from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    SeparationFactory,
    TimelineEntryFactory,
)


@pytest.fixture
def restricted_case(other_worker):
    """A restricted case of another caseworker's, with one of every kind of record."""
    family = FamilyFactory(name="Restricted", restricted=True)
    family.caseworkers.add(other_worker)
    membership = MembershipFactory(family=family, person__name_latin="Hidden Person")
    separation = SeparationFactory(family=family, person=membership.person)
    GovernmentContactFactory(family=family, separation=separation)
    TimelineEntryFactory(family=family, separation=separation)
    return family
