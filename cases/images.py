"""Pictures staff upload for the public side, made safe to serve.

An upload is never served as given. A photo from a phone carries its EXIF: the GPS
position where it was taken (a family's home abroad), the time, the camera's serial
number; XMP and comments can carry more. And a file that only says it is an image can
be anything. So `share_image()` decodes the upload with Pillow, PNG, JPEG or WebP only,
and refuses a damaged or truncated file and a decompression bomb (a small file that
declares enormous dimensions, to exhaust the server's memory when decoded). It turns
the picture upright by its EXIF orientation, crops it to the share-card size and
encodes a fresh JPEG from the pixels alone, so that no metadata can come through.

Colour profiles are dropped with the rest (they are parsed by a library of their own,
more input to trust); a wide-gamut photo comes out slightly duller, never wrong.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

# The size Open Graph and Twitter's large card expect; smaller uploads are refused
# below half of it, where a crop would be visibly blurred.
SHARE_SIZE = (1200, 630)
MIN_SIZE = (600, 315)
CONTENT_TYPE = "image/jpeg"
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Far below Pillow's own limit (Image.MAX_IMAGE_PIXELS, 89 million): a 24-megapixel
# photo fits; decoded, it takes at most ~100 MB of one server process's memory.
MAX_PIXELS = 25_000_000
JPEG_QUALITY = 85

# What Pillow raises on malformed input, besides its own decompression bomb error.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


@dataclass(frozen=True)
class ShareImage:
    """A picture ready to serve: JPEG bytes without metadata, and their digest."""

    data: bytes
    width: int
    height: int
    digest: str


def share_image(upload: File) -> ShareImage:
    """The upload as a 1200×630 JPEG without metadata. Raises ValidationError (a message
    for the form) for anything that is not a real PNG, JPEG or WebP picture of a sane size.
    """
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise _too_large()
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large()
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: here that is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = _decode(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except _UNREADABLE:
        raise ValidationError(
            _("This is not a PNG, JPEG or WebP image, or the file is damaged."),
            code="unreadable",
        ) from None
    return _encode(ImageOps.fit(picture, SHARE_SIZE, Image.Resampling.LANCZOS))


# WeasyPrint (the PDF exports) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when
# it is imported, after which a truncated upload would decode padded with grey.
_TRUNCATION_FLAG = threading.Lock()


def _load_whole(image: Image.Image) -> None:
    """Decode the whole file, refusing a truncated one whatever the global flag says."""
    with _TRUNCATION_FLAG:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()  # a truncated file raises OSError here
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _decode(data: bytes) -> Image.Image:
    """The picture's pixels, upright, in RGB (transparency on white)."""
    with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
        width, height = image.size  # from the header: nothing is decoded yet
        if width * height > MAX_PIXELS:
            raise _too_many_pixels()
        if min(width, height) < MIN_SIZE[1] or max(width, height) < MIN_SIZE[0]:
            raise ValidationError(
                _("This image is too small: it needs at least %(w)d×%(h)d pixels.")
                % {"w": MIN_SIZE[0], "h": MIN_SIZE[1]},
                code="too_small",
            )
        # A JPEG may be decoded at 1/2, 1/4 or 1/8 of its size straight away; ask for at
        # least the card's width both ways, as the EXIF orientation may turn it.
        image.draft("RGB", (SHARE_SIZE[0], SHARE_SIZE[0]))
        _load_whole(image)
        upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return upright.convert("RGB")


def _encode(picture: Image.Image) -> ShareImage:
    # A new image holding only the pixels: Pillow writes an image's own comment, EXIF or
    # XMP when it saves it, so nothing of the upload's `info` may come along.
    clean = Image.new("RGB", picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    data = out.getvalue()
    return ShareImage(
        data=data,
        width=clean.width,
        height=clean.height,
        digest=hashlib.sha256(data).hexdigest()[:16],
    )


def _too_large() -> ValidationError:
    return ValidationError(
        _("This file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        code="too_large",
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("This image has too many pixels (at most %(mp)d million).")
        % {"mp": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
