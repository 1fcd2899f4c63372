import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import Person
from cases.partial_dates import PartialDate, PartialDateFormField, validate_not_in_future
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        ("2015", "year", dt.date(2015, 1, 1), dt.date(2015, 12, 31)),
        ("2016-02", "month", dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
        ("2019-05-31", "day", dt.date(2019, 5, 31), dt.date(2019, 5, 31)),
    ],
)
def test_partial_date_keeps_its_precision(text, precision, first, last):
    value = PartialDate.parse(text)

    assert value.precision == precision
    assert (value.first_day, value.last_day) == (first, last)
    assert str(value) == text


@pytest.mark.parametrize("text", ["15", "2015-13", "2015-02-30", "2015-6", "15/06/2015", "1850"])
def test_impossible_or_ambiguous_dates_are_refused(text):
    with pytest.raises(ValueError, match=r"."):
        PartialDate.parse(text)


def test_less_precise_dates_sort_before_the_days_they_contain():
    texts = ["2015-06-12", "2016", "2015", "2015-06", "2014-12-31"]

    ordered = sorted((PartialDate.parse(t) for t in texts), key=lambda d: d.sort_key)

    assert [str(d) for d in ordered] == ["2014-12-31", "2015", "2015-06", "2015-06-12", "2016"]


def test_display_follows_precision_in_english(settings):
    settings.LANGUAGE_CODE = "en"

    assert PartialDate.parse("2016-11").display() == "November 2016"
    assert PartialDate.parse("2016").display() == "2016"
    assert PartialDate.parse("2016-11-05").display() == "Nov. 5, 2016"


def test_a_date_later_than_today_is_in_the_future():
    tomorrow = timezone.localdate() + dt.timedelta(days=2)

    with pytest.raises(ValidationError, match="future"):
        validate_not_in_future(PartialDate.from_date(tomorrow))
    validate_not_in_future(PartialDate(timezone.localdate().year))  # this year is not the future


def test_form_field_explains_the_expected_format():
    field = PartialDateFormField(required=False)

    with pytest.raises(ValidationError) as error:
        field.clean("June 2015")

    assert "YYYY-MM" in error.value.messages[0]
    assert field.clean("2015-06") == PartialDate(2015, 6)
    assert field.clean("") is None


def test_partial_dates_round_trip_through_the_database_and_compare_as_text():
    PersonFactory(name_latin="Old", last_contact="2016")
    PersonFactory(name_latin="Recent", last_contact="2024-03-02")
    PersonFactory(name_latin="Never", last_contact="")

    stored = Person.objects.get(name_latin="Old")
    earlier = Person.objects.filter(last_contact__lt="2020-01-01").exclude(last_contact="")

    assert stored.last_contact == PartialDate(2016)
    assert Person.objects.get(name_latin="Never").last_contact is None
    assert [p.name_latin for p in earlier] == ["Old"]
    assert [p.name_latin for p in Person.objects.order_by("-last_contact")][:2] == [
        "Recent",
        "Old",
    ]
