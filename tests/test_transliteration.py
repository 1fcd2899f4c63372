"""The spellings of one Uyghur name share a phonetic key: real transliteration pairs
across Uyghur script, the Latin alphabets (ULY, English-style, Turkish-style), Cyrillic
and Chinese. Common given names only; no person in these tests is real."""

import pytest

from cases.transliteration import phonetic_key, to_latin

SAME_NAME = [
    # Latin variants: ULY, English-style, Turkish-style
    ("Mamutjan", "Memetjan"),
    ("Mamatjan", "Muhammetjan"),
    ("Abdurehim", "Abdurahim"),
    ("Abdurehim", "Abdurakhim"),
    ("Abdureshit", "Abdürreşit"),
    ("Ehmet", "Ahmad"),
    ("Ehmet", "Ahmet"),
    ("Yusup", "Yusuf"),
    ("Qadir", "Kadir"),
    ("Kadeer", "Qadir"),
    ("Mihrigul", "Mihrigül"),
    ("Gulnar", "Gülnar"),
    ("Ayshem", "Ayşem"),
    ("Nurmemet", "Nurmehmet"),
    ("Memtimin", "Mämtimin"),
    ("Rabiye", "Rebiya"),
    ("Osman", "Usman"),
    ("Zulpiye", "Zulfiye"),
    ("Ablikim", "Ablekim"),
    ("Erkin", "Ärkin"),
    ("Muhemmed", "Muhammad"),
    ("Xalmurat", "Halmurat"),
    ("Qurban", "Kurban"),
    ("Shohret", "Şöhret"),
    ("Memetjan", "Mehmetcan"),
    ("Nurjan", "Nurcan"),
    # Uyghur script and ULY
    ("مەمەتجان", "Memetjan"),
    ("ئابدۇرېھىم", "Abdurehim"),
    ("تۇرسۇن", "Tursun"),
    ("گۈلنار", "Gulnar"),
    ("ئىلھام", "Ilham"),
    ("يۈسۈپ", "Yusup"),
    ("مىھرىگۈل", "Mihrigul"),
    ("قادىر", "Kadir"),
    ("ئەخمەت", "Ahmet"),
    ("نۇرمەمەت", "Nurmemet"),
    ("ئوسمان", "Osman"),
    ("رابىيە", "Rabiye"),
    # Cyrillic (Uyghur, Kazakh, Russian documents)
    ("Мәмәтжан", "Memetjan"),
    ("Абдурехим", "Abdurehim"),
    ("Турсун", "Tursun"),
    ("Юсуп", "Yusup"),
    ("Гүлнар", "Gulnar"),
    ("Қадир", "Kadir"),
    ("Әхмәт", "Ahmet"),
    ("Ильхам", "Ilham"),
    # Chinese characters, through pinyin
    ("买买提江", "Memetjan"),
    ("阿不都热依木", "Abdurehim"),
    ("Abudureyimu", "Abdurehim"),
    ("吐尔逊", "Tursun"),
    ("玉素甫", "Yusup"),
    ("艾合买提", "Ehmet"),
    ("米日古丽", "Mihrigul"),
    ("热比娅", "Rebiya"),
    ("吾斯曼", "Osman"),
    ("卡德尔", "Qadir"),
    ("古丽努尔", "Gulnur"),
    ("帕提古丽", "Patigul"),
    ("阿孜古丽", "Azigul"),
    ("努尔买买提", "Nurmemet"),
    ("依明", "Imin"),
    ("阿不都热西提", "Abdureshit"),
    ("伊力哈木", "Ilham"),
    ("库尔班", "Qurban"),
    ("热合曼", "Rehman"),
    ("阿依古丽", "Aygul"),
    # Whole names: given name and father's name, in order
    ("阿迪力·亚森", "Adil Yasin"),
    ("Memet Tursun", "مەمەت تۇرسۇن"),
]

# The key is coarse on purpose (vowels inside a word vary most between spellings), so
# Gulnar and Gulnur, or Ilham and Alim, share one: telling those apart is the fuzzy
# score's work (cases.matching). Names whose consonants differ keep different keys.
DIFFERENT_NAMES = [
    ("Memet", "Ahmet"),
    ("Tursun", "Turdi"),
    ("Abdurehim", "Abdukerim"),
    ("Yusup", "Yunus"),
    ("Memet Tursun", "Tursun Memet"),
]


def test_there_are_at_least_fifty_real_transliteration_pairs():
    assert len(SAME_NAME) >= 50
    assert len({frozenset(pair) for pair in SAME_NAME}) == len(SAME_NAME)


@pytest.mark.parametrize(("one", "other"), SAME_NAME)
def test_two_spellings_of_one_name_share_a_key(one, other):
    assert phonetic_key(one) == phonetic_key(other), (to_latin(one), to_latin(other))


@pytest.mark.parametrize(("one", "other"), DIFFERENT_NAMES)
def test_different_names_keep_different_keys(one, other):
    assert phonetic_key(one) != phonetic_key(other)


def test_uyghur_script_reads_as_the_uyghur_latin_alphabet():
    assert to_latin("ئابدۇرېھىم") == "abduréhim"
    assert to_latin("شۆھرەت") == "shöhret"


def test_chinese_reads_through_pinyin_as_chinese_transcribes_uyghur():
    assert to_latin("买买提江") == "memetjan"
    assert to_latin("阿迪力·亚森") == "adili yasen"


def test_a_name_is_normalised_before_its_key_is_taken():
    decomposed = "Gu\u0308lnar"  # ü as u + combining diaeresis
    assert phonetic_key(decomposed) == phonetic_key("Gülnar") == phonetic_key("GULNAR")


def test_a_name_without_letters_has_an_empty_key():
    assert phonetic_key("") == ""
    assert phonetic_key(" · ") == ""
