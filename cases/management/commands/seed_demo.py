"""Load fictional demo families and a demo caseworker login. Safe to run again.

Every name, place and event here is invented. None of it describes a real person.

Each family is entered as a caseworker would enter its story: every status, every
change in what happened to a person and every contact carries the date it happened,
at the precision it is known ("2017", "2021-03", "2021-04-02"), so the timelines read
as stories, not as the day the demo was loaded. The one case opened today (Memet) is
the only one with items dated today.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import services
from cases.accounts.devices import (
    AUTHENTICATOR_NAME,
    recovery_codes_replace,
    secret_base32,
)
from cases.models import (
    Family,
    GovernmentContact,
    Membership,
    Person,
    Separation,
    TimelineEntry,
)
from cases.partial_dates import PartialDate, parse_birth
from cases.roles import Role

DEMO_USERNAME = "demo.caseworker"

P = Person
C = Person.Condition
W = Person.Whereabouts
S = Separation.Status
GC = GovernmentContact


def became(on: str, source: str, condition: str, whereabouts: str, **details: Any) -> dict:
    """One step of a person's story: their condition and whereabouts (and place, charge,
    sentence, publishable) as of `on`, known from `source`. Recorded by
    services.person_change_condition, as the person form does."""
    return {
        "on": on,
        "source": source,
        "condition": condition,
        "whereabouts": whereabouts,
        **details,
    }


# Each family: the case, when it was opened (None: today) and the statuses it went
# through; its people (key -> fields, role, story); separations (person, separated from,
# since, circumstance, statuses with the date each took effect; the first is when it
# was reported); contacts; entries. Dates given as integers are days before today, for
# what a caseworker did in the last weeks, so that follow-ups stay due whenever it runs.
# Everything else has its own date: the stories happened years ago.
DEMO_FAMILIES: list[dict[str, Any]] = [
    {
        "case": {
            "name": "Yasin",
            "host_country": "AU",
            "priority": Family.Priority.HIGH,
            "internal_summary": "Father on a student visa; wife held since a document trip.",
            "public_summary": "A father in Australia has not seen his wife or children since "
            "they travelled home to renew a passport.",
        },
        "opened_on": "2018-03-06",
        "statuses": [(Family.Status.ACTIVE, "2018-04"), (Family.Status.ADVOCACY, "2021-03")],
        "people": {
            "adil": (
                {
                    "name_latin": "Adil Yasin",
                    "name_uyghur": "ئادىل ياسىن",
                    "name_chinese": "阿迪力·亚森",
                    "aliases": "Adili Yasen\nA. Yassin",
                    "gender": P.Gender.MALE,
                    "birth_date": "1984",
                    "citizenship": "CN",
                    "location_country": "AU",
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
                [
                    became(
                        "2014",
                        "Adil's account at intake; visa seen by our caseworker",
                        C.TEMPORARY_VISA,
                        W.ABROAD,
                        location_place="Adelaide",
                    ),
                ],
            ),
            "gulnar": (
                {
                    "name_latin": "Gulnar Ehmet",
                    "name_uyghur": "گۈلنار ئەھمەت",
                    "name_chinese": "古丽娜尔·艾合买提",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1987-03",
                    "location_country": "CN",
                    "sentence_start": "2017",
                    "sentence_end": "2026",
                    "last_contact": "2016-11",
                    "consent": P.Consent.ANONYMISED,
                },
                Membership.Role.MOTHER,
                [
                    became(
                        "2017",
                        "Adil's account at intake, from a cousin inside the region",
                        C.DETAINED_IN_CAMP,
                        W.UYGHUR_REGION,
                    ),
                    became(
                        "2021-04-02",
                        "Government statement sent to a broadcaster, 2 April 2021",
                        C.IMPRISONED,
                        W.UYGHUR_REGION,
                        charge="“Inciting ethnic hatred” (as stated by the authorities)",
                        sentence_years=9,
                        location_place="Prison unknown, home prefecture (unconfirmed)",
                    ),
                ],
            ),
            "dilnaz": (
                {
                    "name_latin": "Dilnaz Adil",
                    "name_uyghur": "دىلناز ئادىل",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "10 years old in 2021",
                    "last_contact": "2021-03",
                },
                Membership.Role.CHILD,
                [
                    became(
                        "2017",
                        "Adil's account at intake",
                        C.AT_HOME,
                        W.UYGHUR_REGION,
                        location_place="With her grandparents",
                    ),
                    became(
                        "2021-04",
                        "Relatives' message after the state television interview",
                        C.UNDER_SURVEILLANCE,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
            "son": (
                {
                    "description": "son of Adil Yasin",
                    "gender": P.Gender.MALE,
                    "birth_date": "about 2015",
                },
                Membership.Role.CHILD,
                [
                    became(
                        "2017",
                        "Adil's account at intake",
                        C.AT_HOME,
                        W.UYGHUR_REGION,
                        location_place="With other relatives, apart from his sister",
                    ),
                ],
            ),
            "yasin": (
                {
                    "name_latin": "Yasin Qadir",
                    "name_uyghur": "ياسىن قادىر",
                    "gender": P.Gender.MALE,
                    "birth_date": "1956",
                    "last_contact": "2021-04",
                },
                Membership.Role.GRANDPARENT,
                [
                    became(
                        "2018",
                        "Adil's account: police visit the house every week",
                        C.UNDER_SURVEILLANCE,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
        },
        "reporting_contact": "adil",
        "separations": [
            (
                "gulnar",
                ["adil"],
                "2015-04",
                Separation.Circumstance.DOCUMENT_TRIP,
                [(S.REPORTED, "2018-03-06"), (S.VERIFIED, "2018-05"), (S.ADVOCACY, "2021-03")],
            ),
            (
                "dilnaz",
                ["adil"],
                "2015-04",
                Separation.Circumstance.DOCUMENT_TRIP,
                [(S.REPORTED, "2018-03-06"), (S.VERIFIED, "2018-05")],
            ),
            (
                "son",
                ["adil"],
                "2015-04",
                Separation.Circumstance.DOCUMENT_TRIP,
                [(S.REPORTED, "2018-03-06"), (S.VERIFIED, "2018-05")],
            ),
        ],
        "contacts": [
            {
                "government": "AU",
                "body_kind": GC.BodyKind.HOME_AFFAIRS,
                "body": "Department of Home Affairs",
                "contacted_on": "2018-09",
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.EMAIL,
                "summary": "Asked for help to bring the children to Australia.",
                "outcome": GC.Outcome.DECLINED,
                "response_on": "2018-11",
            },
            {
                "government": "CN",
                "body_kind": GC.BodyKind.CHINESE_AUTHORITIES,
                "body": "Regional government information office",
                "contacted_on": "2021-03-15",
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.INTERMEDIARY,
                "intermediary": "Example World News",
                "summary": "The broadcaster asked for a response to the family's account "
                "before publishing it.",
            },
            {
                "government": "CN",
                "body_kind": GC.BodyKind.CHINESE_AUTHORITIES,
                "body": "Regional government information office",
                "contacted_on": "2021-03-22",
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.INTERMEDIARY,
                "intermediary": "Example World News",
                "summary": "Detailed follow-up questions from the broadcaster before its "
                "broadcast.",
            },
            {
                "government": "CN",
                "body_kind": GC.BodyKind.CHINESE_AUTHORITIES,
                "body": "Regional government information office",
                "contacted_on": "2021-04-02",
                "direction": GC.Direction.THEY_STATED,
                "channel": GC.Channel.INTERMEDIARY,
                "intermediary": "Example World News",
                "summary": "One-page statement: says the mother was sentenced to nine years "
                "and calls the father an extremist. No evidence given; the family disputes "
                "every claim.",
                "outcome": GC.Outcome.STATEMENT,
            },
            {
                "government": "AU",
                "body_kind": GC.BodyKind.FOREIGN_MINISTRY,
                "body": "Minister for Foreign Affairs",
                "official": "The Minister (office)",
                "contacted_on": 40,
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.LETTER,
                "summary": "Asked for fast-tracked family reunification visas for the children.",
                "follow_up_on": 10,
            },
        ],
        "entries": [
            {
                "occurred_on": "2021-03",
                "kind": TimelineEntry.Kind.MEDIA,
                "title": "International broadcaster interviews the daughter",
                "source": "Example World News, March 2021",
                "source_url": "https://news.example.org/reports/separated-families",
                "reliability": TimelineEntry.Reliability.MEDIA_REPORT,
                "publishable": True,
            },
            {
                "occurred_on": "2021-04",
                "kind": TimelineEntry.Kind.MEDIA,
                "title": "State television airs an interview with the daughter",
                "description": "She says she is happy with her grandparents; her grandfather "
                "tells the father to come home.",
                "source": "State broadcaster, April 2021",
                "reliability": TimelineEntry.Reliability.MEDIA_REPORT,
            },
        ],
    },
    {
        "case": {
            "name": "Rozi",
            "host_country": "IT",
            "priority": Family.Priority.URGENT,
            "internal_summary": "Three children hold Italian visas; stopped at the consulate and "
            "placed in a state orphanage.",
            "public_summary": "Three children with valid visas to join their parents in Italy "
            "were stopped and placed in a state orphanage.",
        },
        "opened_on": "2019-10-03",
        "statuses": [(Family.Status.ACTIVE, "2019-11"), (Family.Status.ADVOCACY, "2021-03")],
        "people": {
            "mutellip": (
                {
                    "name_latin": "Mutellip Rozi",
                    "name_uyghur": "مۇتەللىپ روزى",
                    "name_chinese": "木太力普·肉孜",
                    "aliases": "Mutalifu Rouzi\nMutellip Rozi Haji",
                    "gender": P.Gender.MALE,
                    "birth_date": "1979",
                    "location_country": "IT",
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
                [
                    became("2016", "Parents' account at intake", C.ASYLUM_SEEKER, W.ABROAD),
                    became(
                        "2018-07",
                        "Asylum decision seen by our caseworker",
                        C.REFUGEE,
                        W.ABROAD,
                    ),
                ],
            ),
            "aygul": (
                {
                    "name_latin": "Aygul Niyaz",
                    "name_uyghur": "ئايگۈل نىياز",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1982",
                    "location_country": "IT",
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.MOTHER,
                [
                    became("2016", "Parents' account at intake", C.ASYLUM_SEEKER, W.ABROAD),
                    became(
                        "2018-07",
                        "Asylum decision seen by our caseworker",
                        C.REFUGEE,
                        W.ABROAD,
                    ),
                ],
            ),
            "zulpiye": (
                {
                    "name_latin": "Zulpiye Mutellip",
                    "name_uyghur": "زۇلپىيە مۇتەللىپ",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "17 years old in 2021",
                    "last_contact": "2021-05",
                },
                Membership.Role.CHILD,
                [
                    became(
                        "2016",
                        "Parents' account at intake",
                        C.AT_HOME,
                        W.UYGHUR_REGION,
                        location_place="With an aunt, home county",
                    ),
                    became(
                        "2020-06",
                        "Parents' testimony, from relatives",
                        C.STATE_CARE,
                        W.UYGHUR_REGION,
                        location_place="State children's home, home county",
                    ),
                ],
            ),
            "ibrahim": (
                {
                    "name_latin": "Ibrahim Mutellip",
                    "name_uyghur": "ئىبراھىم مۇتەللىپ",
                    "gender": P.Gender.MALE,
                    "birth_date": "aged 15 in 2021",
                    "last_contact": "2021-05",
                },
                Membership.Role.CHILD,
                [
                    became("2016", "Parents' account at intake", C.AT_HOME, W.UYGHUR_REGION),
                    became(
                        "2020-06",
                        "Parents' testimony, from relatives",
                        C.STATE_CARE,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
            "youngest": (
                {
                    "description": "youngest son of Mutellip Rozi",
                    "gender": P.Gender.MALE,
                    "birth_date": "12 years old in 2021",
                },
                Membership.Role.CHILD,
                [
                    became("2016", "Parents' account at intake", C.AT_HOME, W.UYGHUR_REGION),
                    became(
                        "2020-06",
                        "Parents' testimony, from relatives",
                        C.STATE_CARE,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
            "ruqiye": (
                {
                    "name_latin": "Ruqiye Niyaz",
                    "name_uyghur": "رۇقىيە نىياز",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1950",
                },
                Membership.Role.GRANDPARENT,
                [
                    became(
                        "2019-01",
                        "A relative's message to Aygul",
                        C.DECEASED,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
        },
        "reporting_contact": "aygul",
        "separations": [
            (
                child,
                ["mutellip", "aygul"],
                "2016",
                Separation.Circumstance.LEFT_BEHIND,
                [
                    (S.REPORTED, "2019-10-03"),
                    (S.EXIT_PERMITTED, "2020-05"),
                    (S.ADVOCACY, "2021-03"),
                ],
            )
            for child in ("zulpiye", "ibrahim", "youngest")
        ],
        "contacts": [
            {
                "government": "IT",
                "body_kind": GC.BodyKind.EMBASSY,
                "body": "Embassy of Italy in Beijing",
                "contacted_on": "2019-12",
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.LETTER,
                "summary": "Supported the parents' family reunification visa applications "
                "for the children.",
                "outcome": GC.Outcome.ACTED,
                "response_on": "2020-05",
            },
            {
                "government": "CN",
                "body_kind": GC.BodyKind.CHINESE_AUTHORITIES,
                "body": "Regional government information office",
                "contacted_on": "2021-04-02",
                "direction": GC.Direction.THEY_STATED,
                "channel": GC.Channel.INTERMEDIARY,
                "intermediary": "Example World News",
                "summary": "Says the children lead a normal life and attend local schools, "
                "and accuses the parents of belonging to a violent group. No evidence given.",
                "outcome": GC.Outcome.STATEMENT,
            },
            {
                "government": "IT",
                "body_kind": GC.BodyKind.PARLIAMENT,
                "body": "Foreign affairs committee, Chamber of Deputies",
                "official": "Undersecretary for Foreign Affairs",
                "contacted_on": "2021-04-08",
                "direction": GC.Direction.THEY_STATED,
                "channel": GC.Channel.PARLIAMENTARY,
                "summary": "Said the children's visas are valid and the embassy in Beijing is "
                "ready to receive them.",
                "outcome": GC.Outcome.PROMISED,
            },
            {
                "government": "IT",
                "body_kind": GC.BodyKind.EMBASSY,
                "body": "Embassy of Italy in Beijing",
                "contacted_on": 20,
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.EMAIL,
                "summary": "Asked whether the embassy has been able to contact the children.",
                "follow_up_on": -3,
            },
        ],
        "entries": [
            {
                "occurred_on": "2020-06",
                "kind": TimelineEntry.Kind.TESTIMONY,
                "title": "Children stopped at the consulate when collecting their visas",
                "source": "Parents' testimony to our caseworker",
                "reliability": TimelineEntry.Reliability.FIRST_HAND,
                "publishable": True,
            },
        ],
    },
    {
        "case": {
            "name": "Hakim",
            "host_country": "BE",
            "priority": Family.Priority.HIGH,
            "internal_summary": "Wife and daughter sent back from the embassy in Beijing; "
            "passports refused since.",
        },
        "opened_on": "2019-06-20",
        "statuses": [(Family.Status.ACTIVE, "2019-07")],
        "people": {
            "nurmemet": (
                {
                    "name_latin": "Nurmemet Hakim",
                    "name_uyghur": "نۇرمەمەت ھاكىم",
                    "name_chinese": "努尔买买提·哈克木",
                    "aliases": "Nuermaimaiti Hakimu",
                    "gender": P.Gender.MALE,
                    "location_country": "BE",
                },
                Membership.Role.SPOUSE,
                [
                    became(
                        "2017-09",
                        "Residence card seen at intake",
                        C.REFUGEE,
                        W.ABROAD,
                    ),
                ],
            ),
            "patigul": (
                {
                    "name_latin": "Patigul Osman",
                    "name_uyghur": "پاتىگۈل ئوسمان",
                    "gender": P.Gender.FEMALE,
                    "last_contact": 200,
                    "contact_details": "Messaging app, only when she calls first.",
                },
                Membership.Role.SPOUSE,
                [
                    became(
                        "2019-05-31",
                        "Patigul's messages to Nurmemet",
                        C.UNDER_SURVEILLANCE,
                        W.UYGHUR_REGION,
                        location_place="Ürümchi",
                    ),
                ],
            ),
            "daughter": (
                {
                    "description": "eldest daughter of Nurmemet Hakim",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "about 2012",
                },
                Membership.Role.CHILD,
                [
                    became(
                        "2019-05-31",
                        "Patigul's messages to Nurmemet",
                        C.AT_HOME,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
        },
        "reporting_contact": "nurmemet",
        "separations": [
            (
                "patigul",
                ["nurmemet"],
                "2019-05-31",
                Separation.Circumstance.EXIT_BLOCKED,
                [(S.REPORTED, "2019-06-20"), (S.ADVOCACY, "2020-02")],
            ),
            (
                "daughter",
                ["nurmemet"],
                "2019-05-31",
                Separation.Circumstance.EXIT_BLOCKED,
                [(S.REPORTED, "2019-06-20")],
            ),
        ],
        "contacts": [
            {
                "government": "CN",
                "body_kind": GC.BodyKind.CHINESE_AUTHORITIES,
                "body": "County public security bureau",
                "contacted_on": "2019",
                "direction": GC.Direction.THEY_STATED,
                "channel": GC.Channel.OTHER,
                "summary": "Told Patigul in person that her and her daughter's passport "
                "applications are refused; no reason given.",
                "outcome": GC.Outcome.REFUSED,
            },
            {
                "government": "BE",
                "body_kind": GC.BodyKind.FOREIGN_MINISTRY,
                "body": "Federal Public Service Foreign Affairs",
                "contacted_on": 60,
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.MEETING,
                "summary": "Asked for a diplomat to visit the family and for the last visa "
                "document to be waived.",
                "outcome": GC.Outcome.PROMISED,
                "follow_up_on": 2,
            },
        ],
        "entries": [],
    },
    {
        "case": {
            "name": "Kurban",
            "host_country": "TR",
            "priority": Family.Priority.URGENT,
            "internal_summary": "Brother abroad faces deportation; relatives detained or missing.",
            # Only its caseworkers and supervisors can find it: the brother is exposed.
            "restricted": True,
        },
        "opened_on": "2022-11-08",
        "statuses": [(Family.Status.ACTIVE, "2022-11-15")],
        "people": {
            "merdan": (
                {
                    "name_latin": "Merdan Kurban",
                    "name_uyghur": "مەردان قۇربان",
                    "gender": P.Gender.MALE,
                    "location_country": "TR",
                },
                Membership.Role.SIBLING,
                [
                    became("2016", "Merdan's account at intake", C.ASYLUM_SEEKER, W.ABROAD),
                    became(
                        "2021",
                        "Merdan's account: residence permit not renewed",
                        C.UNDOCUMENTED,
                        W.ABROAD,
                    ),
                    became(
                        "2022-10-27",
                        "Removal notice seen by our caseworker",
                        C.AT_RISK_OF_DEPORTATION,
                        W.ABROAD,
                    ),
                ],
            ),
            "tahir": (
                {
                    "name_latin": "Tahir Kurban",
                    "name_uyghur": "تاھىر قۇربان",
                    "gender": P.Gender.MALE,
                    "last_contact": "2017",
                },
                Membership.Role.SIBLING,
                [
                    became(
                        "2017",
                        "Merdan's account, from a cousin",
                        C.DETAINED_IN_CAMP,
                        W.UYGHUR_REGION,
                    ),
                ],
            ),
            "rahile": (
                {
                    "name_latin": "Rahile Sidiq",
                    "name_uyghur": "راھىلە سىدىق",
                    "gender": P.Gender.FEMALE,
                },
                Membership.Role.MOTHER,
                [became("2018-02", "Merdan's account at intake", C.MISSING, W.UNKNOWN)],
            ),
            "ekrem": (
                {
                    "name_latin": "Ekrem Sidiq",
                    "gender": P.Gender.MALE,
                    "last_contact": 400,
                },
                Membership.Role.OTHER,
                [
                    became(
                        "2018", "Merdan's account at intake", C.DETAINED_IN_CAMP, W.UYGHUR_REGION
                    ),
                    became(
                        "2019-11",
                        "Ekrem's voice message to Merdan",
                        C.RELEASED,
                        W.ELSEWHERE_IN_CHINA,
                    ),
                ],
            ),
        },
        "reporting_contact": "merdan",
        "separations": [
            (
                "tahir",
                ["merdan"],
                "2017",
                Separation.Circumstance.DETAINED,
                [(S.REPORTED, "2022-11-08"), (S.VERIFIED, "2023-01")],
            ),
            (
                "rahile",
                ["merdan"],
                "2018-02",
                Separation.Circumstance.OTHER,
                [(S.REPORTED, "2022-11-08")],
            ),
        ],
        "contacts": [
            {
                "government": "",
                "body_kind": GC.BodyKind.UN_BODY,
                "body": "UNHCR country office",
                "contacted_on": 15,
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.EMAIL,
                "summary": "Urgent request for registration and protection against removal.",
                "follow_up_on": 1,
            },
        ],
        "entries": [],
    },
    {
        "case": {
            "name": "Nurlanuly",
            "host_country": "DE",
            "priority": Family.Priority.LOW,
            "public_summary": "A daughter was allowed to leave and has joined her father.",
        },
        "opened_on": "2020-02-17",
        "statuses": [
            (Family.Status.ACTIVE, "2020-03"),
            (Family.Status.MONITORING, "2023-06"),
            (Family.Status.REUNITED, "2023-09-14"),
        ],
        "people": {
            "aidos": (
                {
                    "name_latin": "Aidos Nurlanuly",
                    "name_chinese": "艾多斯·努尔兰",
                    "gender": P.Gender.MALE,
                    "ethnicity": P.Ethnicity.KAZAKH,
                    "citizenship": "DE",
                    "location_country": "DE",
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
                [became("2015", "German passport seen at intake", C.CITIZEN, W.ABROAD)],
            ),
            "aru": (
                {
                    "name_latin": "Aru Aidoskyzy",
                    "gender": P.Gender.FEMALE,
                    "ethnicity": P.Ethnicity.KAZAKH,
                    "birth_date": "2009-01-15",
                    "location_country": "DE",
                    "last_contact": 5,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.CHILD,
                [
                    became(
                        "2018-09",
                        "Aidos's account at intake: her passport was taken by the police",
                        C.AT_HOME,
                        W.UYGHUR_REGION,
                    ),
                    became(
                        "2023-10",
                        "Residence permit seen by our caseworker",
                        C.PERMANENT_RESIDENT,
                        W.ABROAD,
                        publishable=True,
                    ),
                ],
            ),
        },
        "reporting_contact": "aidos",
        "separations": [
            (
                "aru",
                ["aidos"],
                "2018-09",
                Separation.Circumstance.EXIT_BLOCKED,
                [
                    (S.REPORTED, "2020-02-17"),
                    (S.EXIT_PERMITTED, "2023-06"),
                    (S.REUNITED, "2023-09-14"),
                ],
            ),
        ],
        "contacts": [
            {
                "government": "DE",
                "body_kind": GC.BodyKind.FOREIGN_MINISTRY,
                "body": "Federal Foreign Office",
                "contacted_on": "2021-05-10",
                "direction": GC.Direction.WE_ASKED,
                "channel": GC.Channel.LETTER,
                "summary": "Asked the ministry to raise the daughter's exit ban with China.",
                "outcome": GC.Outcome.PROMISED,
                "response_on": "2021-07",
            },
        ],
        "entries": [],
    },
    {
        # Reported today: the only family whose timeline has items dated today.
        "case": {"name": "Memet", "host_country": "NL"},
        "opened_on": None,
        "statuses": [],
        "people": {
            "shirin": (
                {
                    "name_latin": "Shirin Memet",
                    "name_uyghur": "شىرىن مەمەت",
                    "gender": P.Gender.FEMALE,
                    "location_country": "NL",
                },
                Membership.Role.CHILD,
                [became("2022-03", "Shirin's account at intake", C.ASYLUM_SEEKER, W.ABROAD)],
            ),
            "memet": (
                {
                    "name_latin": "Memet Imin",
                    "name_uyghur": "مەمەت ئىمىن",
                    "gender": P.Gender.MALE,
                },
                Membership.Role.FATHER,
                [became("2019", "Shirin's account at intake", C.MISSING, W.UNKNOWN)],
            ),
        },
        "reporting_contact": "shirin",
        "separations": [
            (
                "memet",
                ["shirin"],
                "2019",
                Separation.Circumstance.VISA_STALLED,
                [(S.REPORTED, None)],
            )
        ],
        "contacts": [],
        "entries": [],
    },
]


def _as_date(value: int | None) -> dt.date | None:
    """Days before today (negative: after) to a date."""
    return None if value is None else timezone.localdate() - dt.timedelta(days=value)


def _as_partial(value: int | str | None) -> PartialDate | None:
    """A story's date ("2021", "2021-03", "2021-03-15") or days before today."""
    if value is None:
        return None
    if isinstance(value, int):
        return PartialDate.from_date(_as_date(value))
    return PartialDate.parse(value)


class Command(BaseCommand):
    help = "Load fictional demo families and create a demo caseworker login (safe to rerun)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-login", action="store_true", help="Load the families but create no login."
        )

    @transaction.atomic
    def handle(self, *args: Any, no_login: bool = False, **options: Any) -> None:
        if not no_login and not settings.DEBUG:
            raise CommandError(
                "Refusing to create the demo login with DEBUG off: its password and "
                "second factor are printed in clear. Use --no-login for the families only."
            )
        actor, login_lines = (None, []) if no_login else self._demo_caseworker()
        created = 0
        for spec in DEMO_FAMILIES:
            if Family.objects.filter(name=spec["case"]["name"]).exists():
                continue
            self._create_family(spec, actor)
            created += 1
        self.stdout.write(f"Demo data: {created} fictional families added.")
        if actor is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo caseworker login (development only):\n" + "\n".join(login_lines)
                )
            )

    def _demo_caseworker(self) -> tuple[Any, list[str]]:
        """The demo login with a fresh password, authenticator key and recovery codes,
        and the lines that print them. The new password ends its earlier sessions."""
        user, _created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True}
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=Role.CASEWORKER))
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
        codes = recovery_codes_replace(user=user)
        return user, [
            f"  username: {DEMO_USERNAME}",
            f"  password: {password}",
            "  second step: enter one of these recovery codes (each works once):",
            f"    {' '.join(codes)}",
            f"  or add this key to an authenticator app (TOTP, base32): {secret_base32(device)}",
        ]

    def _create_person(self, fields: dict[str, Any], story: list[dict], actor: Any) -> Person:
        """The person as the person form saves one: identity first, then each step of
        what happened to them through services.person_change_condition, dated and sourced."""
        fields = dict(fields)
        consent = fields.pop("consent", Person.Consent.NONE)
        if "birth_date" in fields:
            fields["birth_date"], fields["birth_date_approximate"] = parse_birth(
                fields["birth_date"]
            )
        if "last_contact" in fields:
            fields["last_contact"] = _as_partial(fields["last_contact"])
        first, *_rest = story
        person = Person(**fields, **_changes(first))
        person.full_clean()
        for step in story:
            services.person_change_condition(
                person=person,
                actor=actor,
                effective_on=_as_partial(step["on"]),
                source=step["source"],
                publishable=step.get("publishable", False),
                **_changes(step),
            )
        if consent != Person.Consent.NONE:
            services.person_record_consent(person=person, consent=consent, actor=actor)
        return person

    def _create_family(self, spec: dict[str, Any], actor: Any) -> Family:
        people = {
            key: self._create_person(fields, story, actor)
            for key, (fields, _role, story) in spec["people"].items()
        }
        family = services.family_create(
            family=Family(reporting_contact=people[spec["reporting_contact"]], **spec["case"]),
            actor=actor,
            note="Demo case opened.",
            effective_on=_as_partial(spec["opened_on"]),
        )  # assigns the demo caseworker, who cannot see unassigned cases
        for key, (_fields, role, _story) in spec["people"].items():
            Membership.objects.create(family=family, person=people[key], role=role)
        for status, effective_on in spec["statuses"]:
            services.family_change_status(
                family=family, status=status, actor=actor, effective_on=_as_partial(effective_on)
            )

        for person_key, from_keys, since, circumstance, statuses in spec["separations"]:
            (first_status, reported_on), *later = statuses
            separation = services.separation_create(
                separation=Separation(
                    family=family,
                    person=people[person_key],
                    since=since,
                    circumstance=circumstance,
                    status=first_status,
                ),
                actor=actor,
                effective_on=_as_partial(reported_on),
            )
            separation.separated_from.set([people[key] for key in from_keys])
            for status, effective_on in later:
                services.separation_change_status(
                    separation=separation,
                    status=status,
                    actor=actor,
                    effective_on=_as_partial(effective_on),
                )

        for fields in spec["contacts"]:
            contact = GovernmentContact(
                family=family,
                created_by=actor,
                **{
                    **fields,
                    "contacted_on": _as_partial(fields["contacted_on"]),
                    "response_on": _as_partial(fields.get("response_on")),
                    "follow_up_on": _as_date(fields.get("follow_up_on")),
                },
            )
            contact.full_clean()
            contact.save()
        for fields in spec["entries"]:
            entry = TimelineEntry(family=family, created_by=actor, **fields)
            entry.full_clean()
            entry.save()
        return family


def _changes(step: dict[str, Any]) -> dict[str, Any]:
    """The person's fields that one step of their story sets."""
    return {name: value for name, value in step.items() if name in services.CONDITION_FIELDS}
