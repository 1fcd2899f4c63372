"""Exports as AES-256 encrypted zip files, opened with a passphrase the advocate types.

The format is WinZip's AE-2 (pyzipper): one file inside, deflated, then encrypted with
AES-256 in CTR mode and authenticated with HMAC-SHA1, under a key derived from the
passphrase (PBKDF2, as the format fixes it). 7-Zip, WinZip, Keka, The Unarchiver and
`bsdtar` open it; the standard zip reader of Windows Explorer does not, and says so
rather than showing anything. AE-2 stores no CRC of the plain text, so a small file's
checksum cannot be matched against guesses.

The format's key derivation is cheap (1,000 rounds), so the passphrase itself must be
long: `MIN_PASSPHRASE` characters, checked by the forms that ask for one.

A zip writer must go back to the start of each member to write its sizes, so the
encrypted bytes go to a temporary file first (in memory up to `SPOOL_BYTES`, then on
disk) and are streamed back from there. Only cipher text is ever written to it; the
plain export passes through memory one chunk at a time.

The passphrase is used here and nowhere else: never stored, logged, put in the
session, in the audit trail or in an error report (the views that take it are marked
`sensitive_post_parameters`, and `cases.redaction` hides POST values in reports anyway).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

import pyzipper
from django.utils.translation import gettext as _

MIN_PASSPHRASE = 12  # characters
AES_BITS = 256
# Kept in memory up to this size, then in a temporary file on disk (cipher text only).
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def encrypted_zip(chunks: Iterable[bytes], *, inner_name: str, passphrase: str) -> Iterator[bytes]:
    """A zip holding one file, `inner_name`, whose content is `chunks`, encrypted with
    AES-256 under `passphrase`; as chunks of bytes, for a `StreamingHttpResponse` or a
    file. Nothing is yielded before the whole export has been read (see above).

    A passphrase shorter than `MIN_PASSPHRASE` is refused at once (ValueError), before
    any chunk is read."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(
            _("A passphrase needs at least %(count)d characters.") % {"count": MIN_PASSPHRASE}
        )
    return _encrypted(chunks, inner_name=inner_name, secret=passphrase.encode())


def _encrypted(chunks: Iterable[bytes], *, inner_name: str, secret: bytes) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with pyzipper.AESZipFile(
            spool, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as archive:
            archive.setpassword(secret)
            archive.setencryption(pyzipper.WZ_AES, nbits=AES_BITS)
            # force_zip64: the size is not known in advance, and may pass 2 GiB.
            with archive.open(inner_name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
        spool.seek(0)
        while block := spool.read(CHUNK_BYTES):
            yield block


def zip_name(filename: str) -> str:
    """The name of the encrypted zip of `filename`: "reunite-cases….csv.zip"."""
    return f"{filename}.zip"


__all__ = ["MIN_PASSPHRASE", "encrypted_zip", "zip_name"]
