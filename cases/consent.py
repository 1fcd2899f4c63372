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

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from cases.models import Family, Person


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def has_cjk(word: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in word)


def _word_character(char: str) -> bool:
    """What `\\w` matches in a `str` pattern."""
    return char.isalnum() or char == "_"


def name_words(person: Person) -> set[str]:
    """The words of every name and alias the person is known by, folded."""
    names = [person.name_latin, person.name_uyghur, person.name_chinese]
    names += person.aliases.splitlines() if person.aliases else []
    words: set[str] = set()
    for name in names:
        for word in fold(name).split():
            word = word.strip(".,;:!?()[]\"'“”‘’«»")
            if len(word) >= 2 or has_cjk(word):
                words.add(word)
    return words


@dataclass(frozen=True)
class Consent:
    """What a family's people agreed to, as a test for any text about them."""

    anyone_consented: bool
    unnamed_words: frozenset[str]  # words of names that must not appear

    @classmethod
    def of(cls, people: Iterable[Person]) -> Consent:
        """The consent of these people (a family's members, separated relatives and
        reporting contact)."""
        people = list(people)
        named_words: set[str] = set()
        unnamed: set[str] = set()
        for person in people:
            if person.consent == Person.Consent.NAMED:
                named_words |= name_words(person)
            else:
                unnamed |= name_words(person)
        return cls(
            anyone_consented=any(p.consent != Person.Consent.NONE for p in people),
            unnamed_words=frozenset(unnamed - named_words),
        )

    @cached_property
    def _unnamed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The unnamed words that count at the start of a word, and the Chinese ones
        that count anywhere."""
        chinese = tuple(word for word in self.unnamed_words if has_cjk(word))
        return tuple(self.unnamed_words.difference(chinese)), chinese

    def names_someone_unnamed(self, text: str) -> bool:
        if not text or not self.unnamed_words:
            return False
        folded = fold(text)
        word_starts, anywhere = self._unnamed
        if any(word in folded for word in anywhere):
            return True
        # As `(?<!\w)word`, with `str.find`: a regular expression per word would be
        # compiled again for every text once the `re` module's cache is full.
        for word in word_starts:
            at = folded.find(word)
            while at != -1:
                if at == 0 or not _word_character(folded[at - 1]):
                    return True
                at = folded.find(word, at + 1)
        return False

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
