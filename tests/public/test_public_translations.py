"""Supporters read the public side in every public language: each catalogue in locale/
translates every string of the public pages, the sign form and the signers' mail, and a
page, a refused form and a confirmation mail come out in the reader's language.

Which strings are public is read from the catalogues themselves: an entry whose source
reference is a public template, a signing mail or cases/public/ must be translated (not
empty, not fuzzy), so a public string added and not translated fails here once
`make messages` has put it in the catalogues. Strings from elsewhere that the public
pages show (the labels of a family's story, a name's validation messages) are listed
below. Staff-only strings stay untranslated except in Uyghur: staff pages are in English
and Uyghur only."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from cases.models import Family, GovernmentContact, Person, Petition, Separation, Signature
from tests.public.markup import read
from tests.public.signing_kit import post_sign

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.PUBLIC_LANGUAGES if code != settings.LANGUAGE_CODE]
PUBLIC_SOURCES = (
    "templates/public/",
    "templates/emails/",  # the signers' mail; staff mail is in templates/staff/emails/
    "cases/public/",
    "templates/404.html",
    "templates/500.html",
)
# What the public pages show from outside those sources: the family's story
# (cases/timeline.py with the model labels it uses), the government's response, and
# what cases/text.py says about a signer's name.
PUBLIC_ELSEWHERE = (
    "A relative",
    "Separation",
    "Case",
    "Charge: %(charge)s",
    "Sentenced to %(years)d year",
    "%(who)s separated from the family",
    "Petition %(slug)s reached %(count)s signatures",
    "Petition %(slug)s: %(status)s",
    "%(old)s → %(new)s",
    "Responded",
    "No response yet",
    "Remove the invisible or direction-changing characters: %(chars)s.",
    "A name holds letters, digits, spaces and punctuation only. Remove: %(chars)s.",
    "Each word must be written in one script; these mix several: %(words)s.",
)
PUBLIC_CHOICES = (
    Family.Status,
    Separation.Status,
    Separation.Circumstance,
    Person.Whereabouts,
    Person.Condition,
    Petition.Status,
    GovernmentContact.Outcome,
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|</?bdi>")


# --- Reading a catalogue (polib is not a dependency) --------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def public(self) -> bool:
        return any(ref.startswith(PUBLIC_SOURCES) for ref in self.references)

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstrs) and all(self.msgstrs)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text.strip()[1:-1])


def read_catalogue(language: str) -> tuple[dict[str, Entry], int]:
    """The catalogue's entries without a context, by msgid, and its number of plurals."""
    path = LOCALE / translation.to_locale(language) / "LC_MESSAGES" / "django.po"
    entries: dict[str, Entry] = {}
    header = ""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = Entry(), None
        for line in block.splitlines():
            if line.startswith("#~"):
                key = None
                break  # obsolete
            if line.startswith("#:"):
                entry.references += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
            elif line.startswith("#,"):
                entry.fuzzy = "fuzzy" in line
            elif line.startswith(("msgctxt", "msgid", "msgstr")):
                key, _space, value = line.partition(" ")
                if key.startswith("msgstr"):
                    entry.msgstrs.append(_unquote(value))
                else:
                    setattr(entry, key, _unquote(value))
            elif line.startswith('"') and key:
                if key.startswith("msgstr"):
                    entry.msgstrs[-1] += _unquote(line)
                else:
                    setattr(entry, key, getattr(entry, key) + _unquote(line))
        if key is None:
            continue
        if entry.msgid == "":
            header = entry.msgstrs[0]
        elif entry.msgctxt is None:
            entries[entry.msgid] = entry
    return entries, int(re.search(r"nplurals=(\d+)", header)[1])


def public_elsewhere() -> list[str]:
    with translation.override(settings.LANGUAGE_CODE):
        labels = [str(label) for choices in PUBLIC_CHOICES for label in choices.labels]
    return [*PUBLIC_ELSEWHERE, *labels]


# --- (a) Every public string is translated in every public language ----------------------


def untranslated_public(entries: dict[str, Entry]) -> list[str]:
    return [entry.msgid for entry in entries.values() if entry.public and not entry.translated]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_public_string_has_a_translation_in_every_public_language(language):
    entries, _plurals = read_catalogue(language)

    assert len([entry for entry in entries.values() if entry.public]) > 100  # refs were read
    assert untranslated_public(entries) == []


def test_an_untranslated_public_string_is_caught_but_not_a_staff_mail_string():
    """The staff's weekly digest (templates/staff/emails/) goes out in English or Uyghur
    only; a string of the signers' mail or a public page must be translated, even when
    the digest uses it too."""
    digest = "templates/staff/emails/weekly_digest.txt"
    entries = {
        "staff": Entry(msgid="staff", msgstrs=[""], references=[digest]),
        "footer": Entry(
            msgid="footer", msgstrs=[""], references=["templates/emails/_signature_footer.txt"]
        ),
        "both": Entry(
            msgid="both", msgstrs=["Fait"], references=[digest, "templates/public/base.html"]
        ),
        "fuzzy": Entry(
            msgid="fuzzy", msgstrs=["Fait"], fuzzy=True, references=[digest, "cases/public/x.py"]
        ),
    }

    assert untranslated_public(entries) == ["footer", "fuzzy"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_story_labels_and_name_messages_are_translated_too(language):
    entries, _plurals = read_catalogue(language)
    wanted = public_elsewhere()

    assert [msgid for msgid in wanted if msgid not in entries] == []  # renamed? update above
    assert [msgid for msgid in wanted if not entries[msgid].translated] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_public_translations_keep_their_placeholders_and_plural_forms(language):
    entries, plurals = read_catalogue(language)
    public = set(public_elsewhere())
    wrong = []
    for entry in entries.values():
        if not (entry.public or entry.msgid in public) or not entry.translated:
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        wanted = [sorted(PLACEHOLDER.findall(source)) for source in sources]
        if entry.msgid_plural is not None and len(entry.msgstrs) != plurals:
            wrong.append(entry.msgid)
        wrong += [
            entry.msgid for text in entry.msgstrs if sorted(PLACEHOLDER.findall(text)) not in wanted
        ]

    assert wrong == []


# {% translate "…" %} or {% trans '…' %} without a context, and _("…") in a filter.
SIMPLE_TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?:"([^"]+)"|'([^']+)')\s*(?:as\s+\w+\s*)?%\}"""
    r"""|\b_\((?:"([^"]+)"|'([^']+)')\)"""
)


def test_every_simple_translate_tag_of_the_public_templates_is_in_the_catalogues():
    """A public template string the catalogues lack is one `make messages` has not seen:
    it would never be translated, and the tests above could not tell."""
    found = set()
    for folder in ("public", "emails"):
        for template in (Path(settings.BASE_DIR) / "templates" / folder).glob("*.*"):
            for match in SIMPLE_TRANSLATE.finditer(template.read_text(encoding="utf-8")):
                found.add(next(group for group in match.groups() if group))
    assert len(found) > 50
    for language in TRANSLATED:
        entries, _plurals = read_catalogue(language)

        assert sorted(found - set(entries)) == [], f"run `make messages` ({language})"


# --- (b) A page in each language -----------------------------------------------------------


# The button, the heading above the form and a field's label.
ENGLISH = ["Sign the petition", "Sign this petition", "Your name"]


def detail_url(petition, language):
    with translation.override(language):
        return reverse("public:petition_detail", kwargs={"slug": petition.slug})


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_petition_page_reads_in_each_language_with_its_lang_and_dir(client, petition, language):
    with translation.override(language):
        translated = [gettext(english) for english in ENGLISH]

    response = client.get(detail_url(petition, language))

    page = read(response.content)
    assert page.html_attrs["lang"] == language
    assert page.html_attrs["dir"] == ("rtl" if language == "ug" else "ltr")
    content = html.unescape(response.content.decode())
    for text, english in zip(translated, ENGLISH, strict=True):
        assert text != english
        assert text in content
    assert ">Sign the petition</button>" not in content


@pytest.mark.parametrize(
    ("language", "button"),
    [
        ("fr", "Signer la pétition"),
        ("nl-be", "Onderteken de petitie"),
        ("it", "Firma la petizione"),
        ("tr", "Dilekçeyi imzalayın"),
        ("kk", "Петицияға қол қою"),
        ("zh-hans", "签署请愿"),
    ],
)
def test_the_sign_button_is_in_the_readers_language(client, petition, language, button):
    content = client.get(detail_url(petition, language)).content.decode()

    assert f'<button type="submit">{button}</button>' in content


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_refused_name_is_explained_in_the_signers_language(client, petition, language):
    with translation.override(language):
        expected = gettext("A name cannot start with =, +, - or @.")
        heading = gettext("Your signature was not sent. Please correct what is marked below.")

    response = post_sign(client, petition, language=language, name="=HYPERLINK(1)")

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert expected != "A name cannot start with =, +, - or @."
    assert expected in content
    assert heading in content


# --- (c) The signers' mail -----------------------------------------------------------------


def test_the_confirmation_mail_in_french_is_french(client, petition):
    post_sign(client, petition, language="fr", name="Élise Exemple", email="elise@example.org")

    [message] = mail.outbox
    assert message.subject.startswith("Confirmez votre signature : ")
    assert "Reunite the Tursun family" in message.subject  # the petition has no French text
    assert message.body.startswith("Bonjour \u2068Élise Exemple\u2069,")
    assert (
        "Merci d'avoir signé la pétition «\u00a0\u2068Reunite the Tursun family\u2069\u00a0»"
        in message.body
    )
    assert "Le lien est valable 7 jours." in message.body  # the plural form
    assert "Effacer votre signature et tout ce que vous nous avez transmis avec elle\u00a0:" in (
        message.body
    )
    assert "Thank you" not in message.body
    assert "/fr/petitions/confirm/" in message.body


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_confirmation_mail_is_in_the_language_signed_in(client, petition, language):
    with translation.override(language):
        subject = gettext("Confirm your signature: %(title)s").split("%(title)s")[0]
        lines = [
            gettext("The petition:"),
            gettext("No more mail about this petition:"),
            gettext("Reunite campaigns for Uyghur families separated by China's repression."),
            ngettext(
                "The link works for %(days)s day. If you did not sign, do nothing: without "
                "confirmation the signature is deleted after that.",
                "The link works for %(days)s days. If you did not sign, do nothing: without "
                "confirmation the signature is deleted after that.",
                7,
            )
            % {"days": 7},
        ]

    post_sign(client, petition, language=language)

    [message] = mail.outbox
    assert message.subject.startswith(" ".join(subject.split()))
    assert "Confirm your signature" not in message.subject
    body = " ".join(message.body.split())
    for line in lines:
        assert " ".join(line.split()) in body
    assert "Your signature counts once you confirm it" not in body


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_already_signed_mail_is_in_the_language_signed_in(client, petition, language):
    with translation.override(language):
        subject = gettext("You have already signed: %(title)s").split("%(title)s")[0]
        line = gettext("If this was not you, you can ignore this mail.")
    post_sign(client, petition, language=language)
    Signature.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    mail.outbox.clear()

    post_sign(client, petition, language=language)

    [message] = mail.outbox
    assert message.subject.startswith(" ".join(subject.split()))
    assert line in message.body
