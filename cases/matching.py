"""Possible duplicates: the people already on record who may be the one being entered,
with a score and the reason, under any spelling or script.

1. Candidates: people who share the phonetic key of at least one word of a name
   (`cases.transliteration`, stored in `Person.name_keys`), one query.
2. Score (0-100), the best over every pair of their names:
   - the same name in the same script: 100;
   - the same name in another spelling or script (the whole name's key): 90;
   - otherwise the fuzzy similarity of the two names read in Latin (rapidfuzz's
     token-sort ratio, so word order does not count), scaled to 85 at most.
   Then the tie-breakers: the same birth year adds 5, a year apart takes nothing off
   (ages are often estimates), further apart takes 15 off; the same country adds 3.
3. Only candidates scoring `THRESHOLD` or more are returned, best first.

A candidate on a case the reader cannot open is returned without a name or a link:
"a possible match exists in a case you cannot open; ask a supervisor". The reasons
of such a match are not shown either, since they would describe the hidden person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from cases.models import Person
from cases.partial_dates import PartialDate
from cases.text import normalise_name
from cases.transliteration import keys_lookup, name_variants, phonetic_key, to_latin, word_keys

THRESHOLD = 70
LIMIT = 10
# The most candidates scored for one query: a very common name word ("Gul") is shared
# by many; the first ones by key are enough to warn about.
CANDIDATES = 500


@dataclass(frozen=True)
class PossibleDuplicate:
    person: Person | None  # None: on a case the reader cannot open
    score: int
    reasons: tuple[str, ...]

    @property
    def hidden(self) -> bool:
        return self.person is None


def _script(name: str) -> str:
    if any("\u0600" <= char <= "\u06ff" for char in name):
        return _("Uyghur script")
    if any("\u0400" <= char <= "\u04ff" for char in name):
        return _("Cyrillic")
    if any("\u3400" <= char <= "\u9fff" for char in name):
        return _("Chinese")
    return _("Latin script")


@lru_cache(maxsize=100_000)
def _compared(name: str) -> tuple[str, str, str]:
    """What a name is compared by: folded, its phonetic key, read in Latin. Worked out
    once a name, as an import's dry run compares each name with many others."""
    return normalise_name(name).casefold(), phonetic_key(name), to_latin(name)


def _name_score(one: str, other: str) -> int:
    (folded, key, latin), (other_folded, other_key, other_latin) = _compared(one), _compared(other)
    if folded == other_folded:
        return 100
    if key and key == other_key:
        return 90
    return round(fuzz.token_sort_ratio(latin, other_latin) * 0.85)


def _why(one: str, other: str) -> str:
    """Why two names scored as they did (`_name_score`)."""
    value = _name_score(one, other)
    if value == 100:
        return _("same name in %(script)s") % {"script": _script(one)}
    if value == 90:
        return _("same name in another spelling (%(one)s, %(other)s)") % {
            "one": one,
            "other": other,
        }
    return _("similar name (%(one)s, %(other)s)") % {"one": one, "other": other}


def born_in(person: Person) -> int | None:
    """The year the person was born, if known (an estimate counts)."""
    born = person.birth_date
    return PartialDate.parse(str(born)).year if born else None


def score(
    names: Sequence[str],
    candidate: Person,
    *,
    birth_year: int | None = None,
    country: str = "",
    minimum: int = 0,
) -> tuple[int, tuple[str, ...]]:
    """How likely `candidate` is the person named `names`, and why. The reasons are
    written only for a score of `minimum` or more: a finder that drops the rest (below
    `THRESHOLD`) spends most of its time on reasons otherwise."""
    best, pair = 0, None
    for name in names:
        for other in name_variants(candidate):
            value = _name_score(name, other)
            if value > best:
                best, pair = value, (name, other)
    candidate_year = born_in(candidate)
    apart = abs(candidate_year - birth_year) if birth_year and candidate_year else None
    if apart == 0:
        best += 5
    elif apart is not None and apart > 1:
        best -= 15
    same_country = bool(country) and candidate.location_country == country
    if same_country:
        best += 3
    value = max(0, min(best, 100))
    if value < minimum:
        return value, ()
    reasons = [_why(*pair)] if pair else []
    if apart == 0:
        reasons.append(_("born the same year"))
    elif apart == 1:
        reasons.append(_("birth year differs by 1"))
    elif apart is not None:
        reasons.append(_("born %(years)d years apart") % {"years": apart})
    if same_country:
        reasons.append(_("in the same country"))
    return value, tuple(reasons)


def possible_duplicates(
    *,
    user: AbstractBaseUser | AnonymousUser,
    names: Sequence[str],
    birth_year: int | None = None,
    country: str = "",
    exclude: Sequence[int] = (),
    limit: int = LIMIT,
) -> list[PossibleDuplicate]:
    """People already recorded who may be the person named `names` (rules: module
    docstring); those the user may not open come back as hidden matches."""
    names = [name for name in names if name and name.strip()]
    keys = word_keys(names)
    if not keys:
        return []
    candidates = list(
        Person.objects.filter(keys_lookup(keys)).exclude(pk__in=exclude).order_by("pk")[:CANDIDATES]
    )
    visible = set(
        Person.objects.visible_to(user)
        .filter(pk__in=[c.pk for c in candidates])
        .values_list("pk", flat=True)
    )
    found = []
    for candidate in candidates:
        value, reasons = score(
            names, candidate, birth_year=birth_year, country=country, minimum=THRESHOLD
        )
        if value < THRESHOLD:
            continue
        if candidate.pk in visible:
            found.append(PossibleDuplicate(person=candidate, score=value, reasons=reasons))
        else:
            found.append(
                PossibleDuplicate(
                    person=None,
                    score=value,
                    reasons=(
                        _("A possible match exists in a case you cannot open; ask a supervisor."),
                    ),
                )
            )
    found.sort(key=lambda match: -match.score)
    return found[:limit]


def duplicates_of(
    person: Person, *, user: AbstractBaseUser | AnonymousUser
) -> list[PossibleDuplicate]:
    """Possible duplicates of a person: one recorded (their page lists them), or one being
    entered, unsaved (the add-person form and "Add several people" ask first)."""
    return possible_duplicates(
        user=user,
        names=name_variants(person),
        birth_year=born_in(person),
        country=person.location_country.code if person.location_country else "",
        exclude=[person.pk] if person.pk is not None else [],
    )


def describe(match: PossibleDuplicate, *, user: AbstractBaseUser | AnonymousUser) -> str:
    """One line for a caseworker: who, the cases of theirs the user may open, the score,
    why (or only that a hidden one exists). A case the user cannot open is not named,
    even for a person they may see through another."""
    reasons = "; ".join(match.reasons)
    if match.hidden:
        return reasons
    cases = match.person.families.visible_to(user).order_by("reference")
    references = ", ".join(cases.values_list("reference", flat=True)) or _("on no case")
    return _("%(person)s (%(cases)s): %(score)d%%, %(reasons)s") % {
        "person": match.person,
        "cases": references,
        "score": match.score,
        "reasons": reasons,
    }
