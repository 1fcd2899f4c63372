"""Fictional people and cases for tests. Never real people."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from cases.models import (
    Family,
    GovernmentContact,
    Membership,
    Person,
    Separation,
    Team,
    TimelineEntry,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name_latin = factory.Sequence(lambda n: f"Test Person {n}")
    whereabouts = Person.Whereabouts.UYGHUR_REGION
    condition = Person.Condition.AT_HOME


class FamilyFactory(factory.django.DjangoModelFactory):
    """A saved family with a reference, bypassing the services: for fixtures only."""

    class Meta:
        model = Family

    reference = factory.Sequence(lambda n: f"T-2026-{n:04d}")
    name = factory.Sequence(lambda n: f"Family {n}")
    host_country = "AU"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    family = factory.SubFactory(FamilyFactory)
    person = factory.SubFactory(PersonFactory)
    role = Membership.Role.CHILD


class SeparationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Separation

    family = factory.SubFactory(FamilyFactory)
    person = factory.SubFactory(PersonFactory)
    since = "2017"
    circumstance = Separation.Circumstance.DETAINED


class GovernmentContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GovernmentContact

    family = factory.SubFactory(FamilyFactory)
    government = "BE"
    body_kind = GovernmentContact.BodyKind.FOREIGN_MINISTRY
    body = "Ministry of Foreign Affairs"
    contacted_on = dt.date(2024, 1, 10)
    direction = GovernmentContact.Direction.WE_ASKED
    channel = GovernmentContact.Channel.LETTER
    summary = "Asked for help with exit documents."


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    family = factory.SubFactory(FamilyFactory)
    occurred_on = "2021-03"
    kind = TimelineEntry.Kind.MEDIA
    title = factory.Sequence(lambda n: f"Report {n}")
    source = "Example News"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)
