"""One signature per person and petition: the canonical form of an e-mail address.

People sign twice by accident, and a few on purpose, with spellings of one mailbox
that all deliver to the same person:

- case: `Adil@Example.org` and `adil@example.org`;
- plus-tags, which most providers deliver to the address without them:
  `adil+petition@example.org`;
- dots in Gmail addresses, which Google ignores (and googlemail.com, its old name):
  `a.d.i.l@googlemail.com`;
- invisible characters (zero-width spaces, soft hyphens, direction marks) that a pasted
  address carries along, and compatibility forms (full-width ａ, mathematical 𝐚);
- letters from another script that look like Latin ones: a Cyrillic `а` or Greek `ο`
  in the domain of an internationalised address.

`canonical_email()` folds all of these, for the unique constraint on
`Signature.email_canonical`. It is never used to send mail: the address is stored and
used as the signer typed it.
"""

from __future__ import annotations

import contextlib
import unicodedata

from cases.text import _is_default_ignorable

MAX_LENGTH = 254  # Signature.email_canonical

# Providers whose mailboxes ignore dots in the part before the @, and the names under
# which they are one provider.
DOTS_IGNORED = frozenset({"gmail.com"})
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}

# Letters of other scripts that are drawn like a Latin letter, after case folding (so
# only the small forms are needed). Taken from what Unicode's confusables list maps to
# a single Latin letter, limited to the Cyrillic, Greek, Armenian and Latin-extension
# letters that fonts really draw the same; NFKC already folds the full-width and
# mathematical forms.
CONFUSABLES = {
    # Cyrillic
    "а": "a",
    "ԁ": "d",
    "е": "e",
    "һ": "h",
    "і": "i",
    "ӏ": "l",
    "ј": "j",
    "к": "k",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "у": "y",
    "ԝ": "w",
    "х": "x",
    "ү": "y",
    "ԍ": "g",
    # Greek
    "α": "a",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "υ": "u",
    "χ": "x",
    "ϲ": "c",
    "ϳ": "j",
    # Armenian
    "հ": "h",
    "ո": "n",
    "ս": "u",
    "օ": "o",
    # Latin letters that read as plain ones
    "ı": "i",
    "ɑ": "a",
    "ɡ": "g",
    "ɩ": "i",
    "ʋ": "u",
}


def _fold(text: str) -> str:
    """NFKC, case folded, invisible characters and spaces dropped, look-alikes read as
    the Latin letter they imitate."""
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKC", text.casefold())
    kept = (c for c in text if not _is_default_ignorable(c) and not c.isspace())
    return "".join(CONFUSABLES.get(c, c) for c in kept)


def _unicode_domain(domain: str) -> str:
    """Punycode labels (xn--…) as the letters they stand for, so that an address typed in
    either form folds the same."""
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def canonical_email(address: str) -> str:
    """The form of `address` that every spelling of the same mailbox shares."""
    folded = _fold(address)
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded[:MAX_LENGTH]
    domain = _fold(_unicode_domain(domain.strip("."))).strip(".")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"[:MAX_LENGTH]
