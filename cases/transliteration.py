"""One person, every spelling: a name in any script to a common Latin form, and to a
phonetic key that the spellings of one name share.

A Uyghur name reaches a case file in Uyghur script (ئابدۇرېھىم), in one of several Latin
transliterations (Abdurehim in the Uyghur Latin alphabet, ULY; Abdurahim, Abdurakhim in
English-style; Abdürrahim in Turkish-style), in Chinese characters (阿不都热依木) or their
pinyin (Abudureyimu), or in Cyrillic from Kazakh and Russian documents (Абдурехим).

- `to_latin(name)`: the name in lower-case Latin, ULY-like. Uyghur script and Cyrillic
  go letter by letter through a table (`ARABIC`, `CYRILLIC`); Chinese goes through its
  pinyin (pypinyin), each syllable then read the way Chinese transcribes Uyghur sounds
  (`PINYIN`: 江 jiang is -jan, 提 ti a final -t, 甫 fu a -p).
- `phonetic_key(name)`: what is left when the differences between those spellings are
  folded away (`FOLDS`, in order): Turkish letters, kh/x/h, gh/g, q/k, f/p, v/w, c as
  Turkish j, doubled letters, a final d/b voiced or not, h and y inside a word, and
  every vowel but the first sound of a word, which is kept only as "a vowel". So
  Mamutjan, Mamatjan, Memetjan, Muhammetjan, مەمەتجان, Мәмәтжан and 买买提江 share the key
  "mmtjn". One key per word, in the name's order.

A shared key says "possibly the same"; `cases.matching` scores candidates with fuzzy
comparison on top, and birth year and place as tie-breakers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from django.db import models
from pypinyin import Style, lazy_pinyin

from cases.text import normalise_name

# Uyghur Arabic script (Uyghur Ereb Yéziqi) to ULY. The hamza carrier ئ begins a word
# that starts with a vowel, or splits two vowels; it is not a sound of its own.
ARABIC = {
    "ا": "a", "ە": "e", "ب": "b", "پ": "p", "ت": "t", "ج": "j", "چ": "ch", "خ": "x",
    "د": "d", "ر": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "گ": "g", "ڭ": "ng", "ل": "l", "م": "m", "ن": "n", "ھ": "h",
    "ه": "h", "و": "o", "ۇ": "u", "ۆ": "ö", "ۈ": "ü", "ۋ": "w", "ې": "é", "ى": "i",
    "ي": "y", "ئ": "", "ء": "", "ة": "e", "ح": "h", "ع": "", "ص": "s", "ض": "z", "ط": "t",
    "ظ": "z", "ث": "s", "ذ": "z", "أ": "a", "إ": "i", "آ": "a", "ی": "i",
}  # fmt: skip

# Cyrillic: Uyghur Cyrillic (ә, ө, ү, ң, ғ, қ, җ, һ), Kazakh (і, ұ) and Russian. In
# Uyghur and Kazakh Cyrillic ж is the j of Memetjan.
CYRILLIC = {
    "а": "a", "ә": "e", "б": "b", "в": "w", "г": "g", "ғ": "gh", "д": "d", "е": "e",
    "ё": "yo", "ж": "j", "җ": "j", "з": "z", "и": "i", "і": "i", "й": "y", "к": "k",
    "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "ö", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "ü", "ф": "f", "х": "x",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "i", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

# Pinyin syllables that Chinese uses for Uyghur sounds other than their plain reading.
# The rest are read as written (with the pinyin consonants folded in `_pinyin_latin`).
PINYIN = {
    "jiang": "jan", "ti": "t", "fu": "p", "mu": "m", "er": "r", "ri": "r", "si": "s",
    "zi": "z", "ke": "k", "de": "d", "he": "h", "le": "l", "ge": "g", "te": "t",
    "xun": "sun", "xi": "shi", "xia": "sha", "xian": "shan", "wu": "u", "yi": "i",
    "dou": "du", "ai": "e", "mai": "me", "lai": "le", "pai": "pe", "sai": "se", "bai": "be",
    "kai": "ke", "tai": "te", "hai": "he", "nai": "ne", "zai": "ze", "dai": "de",
}  # fmt: skip
_PINYIN_INITIALS = (("zh", "j"), ("ch", "ch"), ("sh", "sh"), ("x", "sh"), ("q", "ch"))

# Latin spellings folded onto one, in order. Tokens in capitals stand for one sound
# written with two letters (C: ch, S: sh, N: ng), so vowel-dropping cannot split them.
FOLDS: tuple[tuple[str, str], ...] = (
    ("ş", "sh"), ("ç", "ch"), ("ğ", "gh"), ("ı", "i"), ("ä", "e"),
    ("dzh", "j"), ("dj", "j"), ("zh", "j"),
    ("kh", "h"), ("x", "h"), ("gh", "g"), ("q", "k"), ("ph", "p"), ("f", "p"), ("v", "w"),
    ("ch", "C"), ("sh", "S"), ("c", "j"), ("ng", "N"), ("ts", "s"),
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def _cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _pinyin_latin(syllable: str) -> str:
    if syllable in PINYIN:
        return PINYIN[syllable]
    for initial, latin in _PINYIN_INITIALS:
        if syllable.startswith(initial):
            syllable = latin + syllable[len(initial) :]
            break
    # Uyghur names end in -n where Chinese writes -ng: 明 ming is the -min of Imin.
    return syllable.removesuffix("g") if syllable.endswith("ng") else syllable


def _chinese_latin(text: str) -> str:
    words = []
    for part in re.split(r"[·•・\s]+", text):
        if part:
            syllables = lazy_pinyin(part, style=Style.NORMAL, errors="ignore")
            words.append("".join(_pinyin_latin(s) for s in syllables))
    return " ".join(words)


@lru_cache(maxsize=4096)
def to_latin(name: str) -> str:
    """The name in lower-case Latin letters, as ULY would write it (Chinese through its
    pinyin). Punctuation and digits become spaces."""
    text = normalise_name(name).casefold()
    if any(_cjk(char) for char in text):
        return _chinese_latin(text)
    latin = "".join(ARABIC.get(char, CYRILLIC.get(char, char)) for char in text)
    return " ".join(_WORD.findall(latin))


def _fold_word(word: str) -> str:
    for old, new in FOLDS:
        word = word.replace(old, new)
    # é, ö, ü and other marked letters as their base letter.
    word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    word = re.sub(r"(.)\1+", r"\1", word)  # Yassin: Yasin; Muhammet: Muhamet
    if word.endswith("d"):
        word = word[:-1] + "t"  # Ahmad, Ahmet; Muhammad, Memet
    elif word.endswith("b"):
        word = word[:-1] + "p"
    first, rest = word[:1], re.sub("[aeiouyh]", "", word[1:])
    if first in "aeiou":
        first = "a"  # a word that begins with a vowel: which one varies
    return first + rest


@lru_cache(maxsize=4096)
def phonetic_key(name: str) -> str:
    """The key the spellings of one name share: one folded word per word of the name."""
    return " ".join(filter(None, (_fold_word(word) for word in to_latin(name).split())))


def name_variants(person: object) -> list[str]:
    """Every name a person is recorded under: each script, then each alias."""
    names = [
        getattr(person, "name_latin", ""),
        getattr(person, "name_uyghur", ""),
        getattr(person, "name_chinese", ""),
    ]
    aliases = getattr(person, "aliases", "") or ""
    return [name for name in [*names, *aliases.splitlines()] if name and name.strip()]


def word_keys(names: list[str]) -> set[str]:
    """The phonetic keys of every word of these names."""
    return {key for name in names for key in phonetic_key(name).split()}


class NameKeysField(models.TextField):
    """The phonetic keys of every word of a person's names and aliases, space-delimited
    (" mmtjn trsn "), recomputed whenever the row is saved, as `auto_now` recomputes a
    timestamp, so that a search or the duplicate finder can ask the database for the
    people who share a key (`keys_lookup`). Like `auto_now`, `QuerySet.update()` skips
    it: whoever changes names that way must recompute it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        keys = sorted(word_keys(name_variants(model_instance)))
        value = f" {' '.join(keys)} " if keys else ""
        setattr(model_instance, self.attname, value)
        return value


def keys_lookup(keys: set[str], field: str = "name_keys") -> models.Q:
    """People whose stored keys include any of `keys`."""
    query = models.Q(pk__in=[])
    for key in keys:
        query |= models.Q(**{f"{field}__contains": f" {key} "})
    return query


def spelling_lookup(term: str, field: str = "name_keys") -> models.Q | None:
    """People named `term` under any spelling: every word's key among their keys (so
    "Mamutjan Tursun" finds Memetjan Tursun, 买买提江·吐尔逊 and Мәмәтжан Турсун).
    None for a term without letters."""
    keys = phonetic_key(term).split()
    if not keys:
        return None
    query = models.Q()
    for key in keys:
        query &= models.Q(**{f"{field}__contains": f" {key} "})
    return query
