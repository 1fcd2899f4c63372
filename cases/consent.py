"""Who may be named outside the case file: the one consent rule for public pages and
advocacy exports.

Each person's `consent` says whether they may be named (named), mentioned without a
name (anonymised) or not published at all (none). A text about a family (its public
summary, a timeline item, a government's answer) is held to this rule:

- No word of the name, in any script or alias, of a person who did not agree to be
  named may begin a word of the text, unless that word is also part of the name of
  someone who agreed to be named (a shared family name). Uyghur and Turkic names take
  suffixes ("Adilning"), so a word that starts with the name counts too; Chinese
  names, written without spaces, count anywhere in the text.
- When in doubt the text is withheld: a false alarm hides a paragraph, a miss can put
  a relative inside China at risk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property, lru_cache
from operator import attrgetter

from cases.models import Family, Person
from cases.text import character_class, default_ignorable_codes

# What folding drops: marks (accents, the dot of a Turkish İ, a hamza), format characters
# (soft hyphens, zero-width spaces and joiners, direction marks), characters drawn as
# nothing, and the Arabic tatweel that stretches a joined letter. A reader sees the same
# name with or without them.
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_TATWEEL = "\u0640"
_APOSTROPHES = "’‘ʼʻ`´′"  # folded into "'"
# What Chinese writes between the parts of a Uyghur name (阿不都热依木·库尔班): a space.
_NAME_DOTS = "·・‧•∙"
# Letters of other scripts that look like Latin ones, read as them ("Аdil" with a
# Cyrillic А), and the Turkish dotless ı.
_LOOKALIKES = dict(zip("асеорухіјѕԁԛԝαεικνορτυχı", "aceopyxijsdqwaeikvoptuxi", strict=True))
# Apostrophes first: NFKC turns an acute accent used as one into a space and a mark.
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")


@lru_cache(maxsize=1)
def _dropped() -> re.Pattern[str]:
    """Every mark and format character (found once, in the planes that hold any: the
    basic, the supplementary and the special-purpose one), every character drawn as
    nothing (`cases.text`'s list: Hangul fillers and variation selectors among them),
    and the tatweel."""
    marks_and_formats = (
        code
        for plane in (0, 1, 14)
        for code in range(plane << 16, (plane + 1) << 16)
        if unicodedata.category(chr(code)) in _DROPPED_CATEGORIES
    )
    return character_class([*marks_and_formats, *default_ignorable_codes(), ord(_TATWEEL)])


# Name dots to spaces, lookalikes to Latin.
_SWAPPED = {**dict.fromkeys(_NAME_DOTS, " "), **_LOOKALIKES}
_SWAP = re.compile("[" + re.escape("".join(_SWAPPED)) + "]")


def fold(text: str) -> str:
    """Text as the consent rule compares it: case, compatibility forms, marks, invisible
    characters, apostrophes and lookalike letters folded, the same way for names and
    for the texts tested against them. Folding more can only withhold more."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = unicodedata.normalize("NFKC", _APOSTROPHE.sub("'", text)).casefold()
    text = _dropped().sub("", unicodedata.normalize("NFKD", text))
    return _SWAP.sub(lambda found: _SWAPPED[found.group()], text)


_NAMED, _NONE = Person.Consent.NAMED, Person.Consent.NONE
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(word: str) -> bool:
    return not word.isascii() and _CJK.search(word) is not None


_AROUND_WORDS = ".,;:!?()[]\"'“”«»"


@lru_cache(maxsize=16384)
def _folded_name_word(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The folded forms of one word of a name written in another script than ASCII
    (`name_words`): those that count at the start of a word, and the Chinese ones that
    count anywhere. Looked up once: Uyghur names are drawn from a small stock of given
    names, a child's family name is a parent's given name, and the Chinese and Arabic
    spellings of them repeat as much, so a case export meets the same words in case
    after case."""
    forms = _name_word_forms(fold(word))
    chinese = tuple(form for form in forms if has_cjk(form))
    return tuple(forms.difference(chinese)), chinese


def _name_word_forms(folded: str) -> set[str]:
    """The words a consent test looks for in folded name text: each word without the
    punctuation around it, two letters or more (or Chinese), also without its
    apostrophes and hyphens (Ne'matjan is also written Nematjan, Kamal-jan Kamaljan)."""
    stripped = {word.strip(_AROUND_WORDS) for word in folded.split()}
    words = {word for word in stripped if len(word) >= 2 or has_cjk(word)}
    if "'" in folded or "-" in folded:
        words.update([word.replace("'", "").replace("-", "") for word in words])
    return words


_names = attrgetter("name_latin", "name_uyghur", "name_chinese", "aliases")


def _word_sets(people: Iterable[Person]) -> tuple[set[str], set[str]]:
    """The words of every name and alias these people are known by, folded: those that
    count at the start of a word, and the Chinese ones that count anywhere.

    Folding never joins words across white space, so each word of a name is folded
    alone (what folding splits, a name dot say, is split again after it): ASCII ones
    at once (the fast path of `fold`, here on all of them at a time; no ASCII word is
    Chinese), the others through `_folded_name_word`'s cache."""
    ascii_words: list[str] = []
    word_starts: set[str] = set()
    anywhere: set[str] = set()
    for person in people:
        for name in _names(person):
            if not name:
                continue
            if name.isascii():
                ascii_words.append(name)
                continue
            for word in name.split():
                if word.isascii():
                    ascii_words.append(word)
                else:
                    starts, chinese = _folded_name_word(word)
                    word_starts.update(starts)
                    anywhere.update(chinese)
    if ascii_words:
        word_starts |= _name_word_forms(fold(" ".join(ascii_words)))
    return word_starts, anywhere


def name_words(people: Iterable[Person]) -> set[str]:
    """The words of every name and alias these people are known by, folded
    (`_word_sets`, both kinds)."""
    word_starts, anywhere = _word_sets(people)
    return word_starts | anywhere


class Consent:
    """What a family's people agreed to, as a test for any text about them.

    The words of their names are folded when a text is first tested, and the named
    people's only once a text holds a word of an unnamed person's name (to see whether
    it is a word they share): most texts hold none, and an export tests a text or two
    of every case."""

    def __init__(self, people: Iterable[Person]) -> None:
        self._named: list[Person] = []
        self._unnamed: list[Person] = []
        for person in people:
            (self._named if person.consent == _NAMED else self._unnamed).append(person)
        self.anyone_consented = bool(self._named) or any(
            person.consent != _NONE for person in self._unnamed
        )

    @classmethod
    def of(cls, people: Iterable[Person]) -> Consent:
        """The consent of these people (a family's members, separated relatives and
        reporting contact)."""
        return cls(people)

    @cached_property
    def _unnamed_words(self) -> tuple[set[str], set[str]]:
        """The words of unnamed people's names that count at the start of a word, and
        the Chinese ones that count anywhere."""
        return _word_sets(self._unnamed)

    @cached_property
    def _named_words(self) -> set[str]:
        return name_words(self._named)

    def _names_in(self, folded: str) -> bool:
        """Whether `folded` text holds a word of an unnamed person's name that is not
        also a named person's."""
        word_starts, anywhere = self._unnamed_words
        for word in anywhere:
            if word in folded and word not in self._named_words:
                return True
        # As `(?<!\w)word`, with `str.find`: a regular expression per word would be
        # compiled again for every text once the `re` module's cache is full.
        for word in word_starts:
            at = folded.find(word)
            while at != -1:
                before = folded[at - 1] if at else " "
                if not (before.isalnum() or before == "_"):  # what `\w` matches
                    if word not in self._named_words:
                        return True
                    break
                at = folded.find(word, at + 1)
        return False

    def names_someone_unnamed(self, text: str) -> bool:
        if not text or not self._unnamed:
            return False
        folded = fold(text)
        # Ne'matjan may be written so for someone recorded as Nematjan: read both ways.
        return self._names_in(folded) or ("'" in folded and self._names_in(folded.replace("'", "")))

    def allows(self, text: str) -> str:
        """The text if it names nobody unnamed, else ""."""
        return "" if self.names_someone_unnamed(text) else text


def family_people(family: Family) -> list[Person]:
    """Everyone a text about the case could name: members, separated relatives and the
    reporting contact (two queries)."""
    people = {m.person.pk: m.person for m in family.memberships.select_related("person")}
    people.update({s.person.pk: s.person for s in family.separations.select_related("person")})
    if family.reporting_contact is not None:
        people[family.reporting_contact.pk] = family.reporting_contact
    return list(people.values())


def family_consent(family: Family) -> Consent:
    return Consent.of(family_people(family))
