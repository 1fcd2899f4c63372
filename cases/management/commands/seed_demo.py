"""Load fictional demo families and a demo caseworker login. Safe to run again.

Every name, place and event here is invented. None of it describes a real person.
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
from cases.partial_dates import PartialDate
from cases.roles import Role

DEMO_USERNAME = "demo.caseworker"

P = Person
C = Person.Condition
W = Person.Whereabouts

# Each family: the case, its people (key -> fields, role), its separations, contacts, entries.
# Dates given as integers are days before today, so follow-ups stay due whenever you run it.
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
        "status_path": [Family.Status.ACTIVE, Family.Status.ADVOCACY],
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
                    "whereabouts": W.ABROAD,
                    "location_country": "AU",
                    "location_place": "Adelaide",
                    "condition": C.TEMPORARY_VISA,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
            ),
            "gulnar": (
                {
                    "name_latin": "Gulnar Ehmet",
                    "name_uyghur": "گۈلنار ئەھمەت",
                    "name_chinese": "古丽娜尔·艾合买提",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1987-03",
                    "whereabouts": W.UYGHUR_REGION,
                    "location_country": "CN",
                    "location_place": "Prison unknown, Aksu prefecture (unconfirmed)",
                    "condition": C.IMPRISONED,
                    "charge": "“Inciting ethnic hatred” (as stated by the authorities)",
                    "sentence_years": 9,
                    "sentence_start": "2017",
                    "sentence_end": "2026",
                    "last_contact": "2016-11",
                    "consent": P.Consent.ANONYMISED,
                },
                Membership.Role.MOTHER,
            ),
            "dilnaz": (
                {
                    "name_latin": "Dilnaz Adil",
                    "name_uyghur": "دىلناز ئادىل",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "2011",
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.UNDER_SURVEILLANCE,
                    "last_contact": "2021-03",
                },
                Membership.Role.CHILD,
            ),
            "erfan": (
                {
                    "name_latin": "Erfan Adil",
                    "name_uyghur": "ئەرفان ئادىل",
                    "gender": P.Gender.MALE,
                    "birth_date": "2014-08",
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.AT_HOME,
                },
                Membership.Role.CHILD,
            ),
            "yasin": (
                {
                    "name_latin": "Yasin Qadir",
                    "name_uyghur": "ياسىن قادىر",
                    "gender": P.Gender.MALE,
                    "birth_date": "1956",
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.UNDER_SURVEILLANCE,
                    "last_contact": "2021-04",
                },
                Membership.Role.GRANDPARENT,
            ),
        },
        "reporting_contact": "adil",
        "separations": [
            ("gulnar", ["adil"], "2015-04", Separation.Circumstance.DOCUMENT_TRIP, "advocacy"),
            ("dilnaz", ["adil"], "2015-04", Separation.Circumstance.DOCUMENT_TRIP, "verified"),
            ("erfan", ["adil"], "2015-04", Separation.Circumstance.DOCUMENT_TRIP, "verified"),
        ],
        "contacts": [
            {
                "government": "AU",
                "body_kind": GovernmentContact.BodyKind.HOME_AFFAIRS,
                "body": "Department of Home Affairs",
                "contacted_on": 1900,
                "direction": GovernmentContact.Direction.THEY_STATED,
                "channel": GovernmentContact.Channel.EMAIL,
                "summary": "Replied that they cannot assist as the father is not a permanent "
                "resident.",
                "outcome": GovernmentContact.Outcome.DECLINED,
                "response_on": 1900,
            },
            {
                "government": "AU",
                "body_kind": GovernmentContact.BodyKind.FOREIGN_MINISTRY,
                "body": "Minister for Foreign Affairs",
                "official": "The Minister (office)",
                "contacted_on": 40,
                "direction": GovernmentContact.Direction.WE_ASKED,
                "channel": GovernmentContact.Channel.LETTER,
                "summary": "Asked for fast-tracked family reunification visas for the children.",
                "follow_up_on": 10,
            },
            {
                "government": "CN",
                "body_kind": GovernmentContact.BodyKind.CHINESE_AUTHORITIES,
                "body": "Regional government press office",
                "contacted_on": 1700,
                "direction": GovernmentContact.Direction.THEY_STATED,
                "channel": GovernmentContact.Channel.PUBLIC_STATEMENT,
                "summary": "Stated the mother was sentenced to nine years; gave no evidence. "
                "The family disputes every claim.",
                "outcome": GovernmentContact.Outcome.DECLINED,
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
                "occurred_on": "2021-04-02",
                "kind": TimelineEntry.Kind.OFFICIAL_STATEMENT,
                "title": "Authorities claim the mother was convicted",
                "description": "Claim only; no court document has been seen.",
                "source": "One-page statement sent to a journalist",
                "reliability": TimelineEntry.Reliability.UNVERIFIED,
            },
        ],
    },
    {
        "case": {
            "name": "Rozi",
            "host_country": "IT",
            "priority": Family.Priority.URGENT,
            "internal_summary": "Four children hold Italian visas; stopped at the consulate and "
            "placed in a state orphanage.",
            "public_summary": "Four children with valid visas to join their parents in Italy "
            "were stopped and placed in a state orphanage.",
        },
        "status_path": [Family.Status.ACTIVE, Family.Status.ADVOCACY],
        "people": {
            "mutellip": (
                {
                    "name_latin": "Mutellip Rozi",
                    "name_uyghur": "مۇتەللىپ روزى",
                    "name_chinese": "木太力普·肉孜",
                    "aliases": "Mutalifu Rouzi\nMutellip Rozi Haji",
                    "gender": P.Gender.MALE,
                    "birth_date": "1979",
                    "whereabouts": W.ABROAD,
                    "location_country": "IT",
                    "condition": C.REFUGEE,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
            ),
            "aygul": (
                {
                    "name_latin": "Aygul Niyaz",
                    "name_uyghur": "ئايگۈل نىياز",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1982",
                    "whereabouts": W.ABROAD,
                    "location_country": "IT",
                    "condition": C.REFUGEE,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.MOTHER,
            ),
            "zulpiye": (
                {
                    "name_latin": "Zulpiye Mutellip",
                    "name_uyghur": "زۇلپىيە مۇتەللىپ",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "2005",
                    "whereabouts": W.UYGHUR_REGION,
                    "location_place": "State children's home, home county",
                    "condition": C.STATE_CARE,
                    "last_contact": "2021-05",
                },
                Membership.Role.CHILD,
            ),
            "ibrahim": (
                {
                    "name_latin": "Ibrahim Mutellip",
                    "name_uyghur": "ئىبراھىم مۇتەللىپ",
                    "gender": P.Gender.MALE,
                    "birth_date": "2007",
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.STATE_CARE,
                    "last_contact": "2021-05",
                },
                Membership.Role.CHILD,
            ),
            "ruqiye": (
                {
                    "name_latin": "Ruqiye Niyaz",
                    "name_uyghur": "رۇقىيە نىياز",
                    "gender": P.Gender.FEMALE,
                    "birth_date": "1950",
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.DECEASED,
                },
                Membership.Role.GRANDPARENT,
            ),
        },
        "reporting_contact": "aygul",
        "separations": [
            ("zulpiye", ["mutellip", "aygul"], "2016", "left_behind", "exit_permitted"),
            ("ibrahim", ["mutellip", "aygul"], "2016", "left_behind", "exit_permitted"),
        ],
        "contacts": [
            {
                "government": "IT",
                "body_kind": GovernmentContact.BodyKind.PARLIAMENT,
                "body": "Foreign affairs committee, Chamber of Deputies",
                "official": "Undersecretary for Foreign Affairs",
                "contacted_on": 900,
                "direction": GovernmentContact.Direction.THEY_STATED,
                "channel": GovernmentContact.Channel.PARLIAMENTARY,
                "summary": "Said the children's visas are valid and the embassy in Beijing is "
                "ready to receive them.",
                "outcome": GovernmentContact.Outcome.PROMISED,
                "response_on": 900,
            },
            {
                "government": "IT",
                "body_kind": GovernmentContact.BodyKind.EMBASSY,
                "body": "Embassy of Italy in Beijing",
                "contacted_on": 20,
                "direction": GovernmentContact.Direction.WE_ASKED,
                "channel": GovernmentContact.Channel.EMAIL,
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
            "internal_summary": "Wife and four children sent back from the embassy in Beijing; "
            "passports refused since.",
        },
        "status_path": [Family.Status.ACTIVE],
        "people": {
            "nurmemet": (
                {
                    "name_latin": "Nurmemet Hakim",
                    "name_uyghur": "نۇرمەمەت ھاكىم",
                    "name_chinese": "努尔买买提·哈克木",
                    "aliases": "Nuermaimaiti Hakimu",
                    "gender": P.Gender.MALE,
                    "whereabouts": W.ABROAD,
                    "location_country": "BE",
                    "condition": C.REFUGEE,
                },
                Membership.Role.SPOUSE,
            ),
            "patigul": (
                {
                    "name_latin": "Patigul Osman",
                    "name_uyghur": "پاتىگۈل ئوسمان",
                    "gender": P.Gender.FEMALE,
                    "whereabouts": W.UYGHUR_REGION,
                    "location_place": "Ürümchi",
                    "condition": C.UNDER_SURVEILLANCE,
                    "last_contact": 200,
                    "contact_details": "Messaging app, only when she calls first.",
                },
                Membership.Role.SPOUSE,
            ),
        },
        "reporting_contact": "nurmemet",
        "separations": [
            ("patigul", ["nurmemet"], "2019-05-31", "exit_blocked", "advocacy"),
        ],
        "contacts": [
            {
                "government": "BE",
                "body_kind": GovernmentContact.BodyKind.FOREIGN_MINISTRY,
                "body": "Federal Public Service Foreign Affairs",
                "contacted_on": 60,
                "direction": GovernmentContact.Direction.WE_ASKED,
                "channel": GovernmentContact.Channel.MEETING,
                "summary": "Asked for a diplomat to visit the family and for the last visa "
                "document to be waived.",
                "outcome": GovernmentContact.Outcome.PROMISED,
                "follow_up_on": 2,
                "response_on": None,
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
        "status_path": [Family.Status.ACTIVE],
        "people": {
            "merdan": (
                {
                    "name_latin": "Merdan Kurban",
                    "name_uyghur": "مەردان قۇربان",
                    "gender": P.Gender.MALE,
                    "whereabouts": W.ABROAD,
                    "location_country": "TR",
                    "condition": C.AT_RISK_OF_DEPORTATION,
                },
                Membership.Role.SIBLING,
            ),
            "tahir": (
                {
                    "name_latin": "Tahir Kurban",
                    "name_uyghur": "تاھىر قۇربان",
                    "gender": P.Gender.MALE,
                    "whereabouts": W.UYGHUR_REGION,
                    "condition": C.DETAINED_IN_CAMP,
                    "last_contact": "2017",
                },
                Membership.Role.SIBLING,
            ),
            "rahile": (
                {
                    "name_latin": "Rahile Sidiq",
                    "name_uyghur": "راھىلە سىدىق",
                    "gender": P.Gender.FEMALE,
                    "whereabouts": W.UNKNOWN,
                    "condition": C.MISSING,
                },
                Membership.Role.MOTHER,
            ),
            "ekrem": (
                {
                    "name_latin": "Ekrem Sidiq",
                    "gender": P.Gender.MALE,
                    "whereabouts": W.ELSEWHERE_IN_CHINA,
                    "condition": C.RELEASED,
                    "last_contact": 400,
                },
                Membership.Role.OTHER,
            ),
        },
        "reporting_contact": "merdan",
        "separations": [
            ("tahir", ["merdan"], "2017", "detained", "verified"),
            ("rahile", ["merdan"], "2018-02", "other", "reported"),
        ],
        "contacts": [
            {
                "government": "",
                "body_kind": GovernmentContact.BodyKind.UN_BODY,
                "body": "UNHCR country office",
                "contacted_on": 15,
                "direction": GovernmentContact.Direction.WE_ASKED,
                "channel": GovernmentContact.Channel.EMAIL,
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
        "status_path": [Family.Status.ACTIVE, Family.Status.MONITORING, Family.Status.REUNITED],
        "people": {
            "aidos": (
                {
                    "name_latin": "Aidos Nurlanuly",
                    "name_chinese": "艾多斯·努尔兰",
                    "gender": P.Gender.MALE,
                    "ethnicity": P.Ethnicity.KAZAKH,
                    "citizenship": "DE",
                    "whereabouts": W.ABROAD,
                    "location_country": "DE",
                    "condition": C.CITIZEN,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.FATHER,
            ),
            "aru": (
                {
                    "name_latin": "Aru Aidoskyzy",
                    "gender": P.Gender.FEMALE,
                    "ethnicity": P.Ethnicity.KAZAKH,
                    "birth_date": "2009-01-15",
                    "whereabouts": W.ABROAD,
                    "location_country": "DE",
                    "condition": C.PERMANENT_RESIDENT,
                    "last_contact": 5,
                    "consent": P.Consent.NAMED,
                },
                Membership.Role.CHILD,
            ),
        },
        "reporting_contact": "aidos",
        "separations": [
            ("aru", ["aidos"], "2018-09", "exit_blocked", "reunited"),
        ],
        "contacts": [],
        "entries": [],
    },
    {
        "case": {"name": "Memet", "host_country": "NL"},
        "status_path": [],
        "people": {
            "shirin": (
                {
                    "name_latin": "Shirin Memet",
                    "name_uyghur": "شىرىن مەمەت",
                    "gender": P.Gender.FEMALE,
                    "whereabouts": W.ABROAD,
                    "location_country": "NL",
                    "condition": C.ASYLUM_SEEKER,
                },
                Membership.Role.CHILD,
            ),
            "memet": (
                {
                    "name_latin": "Memet Imin",
                    "name_uyghur": "مەمەت ئىمىن",
                    "gender": P.Gender.MALE,
                    "whereabouts": W.UNKNOWN,
                    "condition": C.MISSING,
                },
                Membership.Role.FATHER,
            ),
        },
        "reporting_contact": "shirin",
        "separations": [("memet", ["shirin"], "2019", "visa_stalled", "reported")],
        "contacts": [],
        "entries": [],
    },
]


def _as_date(value: int | None) -> dt.date | None:
    """Days before today (negative: after) to a date."""
    return None if value is None else timezone.localdate() - dt.timedelta(days=value)


def _as_partial(value: int | str) -> str:
    return str(PartialDate.from_date(_as_date(value))) if isinstance(value, int) else value


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

    def _create_family(self, spec: dict[str, Any], actor: Any) -> Family:
        people: dict[str, Person] = {}
        for key, (fields, _role) in spec["people"].items():
            fields = dict(fields)
            consent = fields.pop("consent", Person.Consent.NONE)
            for name in ("birth_date", "last_contact"):
                if name in fields:
                    fields[name] = _as_partial(fields[name])
            person = Person(**fields)
            person.full_clean()
            person.save()
            if consent != Person.Consent.NONE:
                services.person_record_consent(person=person, consent=consent, actor=actor)
            people[key] = person

        family = services.family_create(
            family=Family(reporting_contact=people[spec["reporting_contact"]], **spec["case"]),
            actor=actor,
            note="Demo case opened.",
        )  # assigns the demo caseworker, who cannot see unassigned cases
        for key, (_fields, role) in spec["people"].items():
            Membership.objects.create(family=family, person=people[key], role=role)
        for status in spec["status_path"]:
            services.family_change_status(family=family, status=status, actor=actor)

        for person_key, from_keys, since, circumstance, status in spec["separations"]:
            separation = services.separation_create(
                separation=Separation(
                    family=family, person=people[person_key], since=since, circumstance=circumstance
                ),
                actor=actor,
            )
            separation.separated_from.set([people[key] for key in from_keys])
            if status != separation.status:
                services.separation_change_status(separation=separation, status=status, actor=actor)

        for contact in spec["contacts"]:
            dates = {
                name: _as_date(contact.get(name))
                for name in ("contacted_on", "follow_up_on", "response_on")
            }
            GovernmentContact.objects.create(
                family=family, created_by=actor, **{**contact, **dates}
            )
        for entry in spec["entries"]:
            TimelineEntry.objects.create(family=family, created_by=actor, **entry)
        return family
