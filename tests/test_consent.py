"""The consent rule's view of a name (`cases.consent`): the words it looks for are the
same however the names are folded, name by name, word by word, or all at once."""

import pytest

from cases.consent import Consent, _name_word_forms, fold, name_words
from cases.models import Person

# Each: name_latin, name_uyghur, name_chinese, aliases.
NAMES = [
    ("Gülnar Éhmet", "گۈلنار ئەھمەت", "古丽娜尔·艾合买提", "Gulnar-jan, Ne’matjan"),
    ("İlham TURSUN", "ئىلھام تۇرسۇن", "伊力哈木・吐尔逊", "Ilham`aka"),
    ("Аdil Kérim", "", "阿迪力", ""),  # a Cyrillic А
    ("Ay\u3164shem Ablet", "ئاي\u200cشەم", "", "Ａｙｓｈｅｍ"),  # a Hangul filler, ZWNJ, fullwidth
    ("O'Brien", "", "", "(Mamut) Mamutjan"),
]


def people(*rows):
    return [
        Person(name_latin=latin, name_uyghur=uyghur, name_chinese=chinese, aliases=aliases)
        for latin, uyghur, chinese, aliases in rows
    ]


@pytest.mark.parametrize("names", NAMES)
def test_a_name_folded_word_by_word_gives_the_words_folding_it_whole_gives(names):
    whole = _name_word_forms(fold(" ".join(name for name in names if name)))

    assert name_words(people(names)) == whole
    assert whole  # each of them holds words worth looking for


def test_the_words_of_several_people_are_the_words_of_each():
    every = name_words(people(*NAMES))

    assert every == set().union(*(name_words(people(names)) for names in NAMES))


@pytest.mark.parametrize(
    "text",
    ["艾合买提来信", "Letter from Nematjan", "ILHAM's cousin", "adil wrote", "Ayshem family"],
)
def test_a_text_naming_an_unnamed_person_in_any_of_their_spellings_is_withheld(text):
    family = people(*NAMES)
    for person in family:
        person.consent = Person.Consent.ANONYMISED

    assert Consent.of(family).allows(text) == ""
    assert Consent.of(family).allows("A letter from the ministry") == "A letter from the ministry"


def test_a_name_counts_only_where_a_word_begins():
    (ali,) = people(("Ali Niyaz", "", "", ""))
    ali.consent = Person.Consent.NONE
    consent = Consent.of([ali])

    assert consent.allows("Alining ogli") == ""  # a suffix: still Ali
    assert consent.allows("(ali) wrote") == ""
    assert consent.allows("A letter from Khalil") == "A letter from Khalil"
    assert consent.allows("file_ali.pdf") == "file_ali.pdf"  # `_` is part of a word
