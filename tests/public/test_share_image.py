"""A petition's own share picture: uploaded in the admin, never served as given (no EXIF,
no GPS position, no camera serial), refused with a form error when it is not a real
picture, public only once the petition is, and named by the pages' share tags."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image, ImageFile

from cases import images, petitions
from cases.models import AuditEvent, PetitionShareImage
from tests.public.conftest import make_petition
from tests.public.markup import read

pytestmark = pytest.mark.django_db

CAMERA = "FictionalCam Z9"
SERIAL = "SN-FICTION-0001"
COMMENT = b"Taken outside the flat on Example Street"


def photo(size=(1600, 1000), fmt="JPEG", *, with_metadata=True) -> bytes:
    """A fictional holiday photo, as a phone saves it: with its position and camera."""
    image = Image.new("RGB", size, (30, 90, 160))
    for x in range(0, size[0], 40):  # some detail, so that the encoder has work to do
        image.paste((200, 120, 40), (x, 0, x + 20, size[1]))
    out = io.BytesIO()
    if with_metadata:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = CAMERA
        exif[ExifTags.Base.BodySerialNumber] = SERIAL
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (12.0, 34.0, 56.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (65.0, 43.0, 21.0),
        }
        extra = {"exif": exif, "comment": COMMENT} if fmt == "JPEG" else {"exif": exif}
        image.save(out, fmt, **extra)
    else:
        image.save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares `width`×`height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, name="holiday.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def change_url(petition):
    return reverse("admin:cases_petition_change", args=[petition.pk])


def image_url(petition):
    return reverse("public_data:share_image", kwargs={"slug": petition.slug})


def page_meta(client, petition):
    with translation.override("en"):
        url = reverse("public:petition_detail", kwargs={"slug": petition.slug})
    return read(client.get(url).content).meta


def post_upload(client, admin_form, petition, **fields):
    data = admin_form(client.get(change_url(petition)))
    data.update(fields)
    return client.post(change_url(petition), data)


@pytest.fixture
def staff(login, petition_editor):
    """A petition editor's browser, apart from the anonymous reader's (`client`)."""
    from django.test import Client

    return login(Client(), petition_editor)


# --- Never served as given ---------------------------------------------------------------


def test_an_uploaded_photo_is_served_without_any_metadata_at_1200_by_630(
    client, staff, admin_form, petition
):
    original = photo()
    assert SERIAL.encode() in original  # the test photo has its camera and position
    assert ExifTags.IFD.GPSInfo in Image.open(io.BytesIO(original)).getexif()

    response = post_upload(staff, admin_form, petition, share_image_upload=upload(original))
    assert response.status_code == 302, response.context and response.context["errors"]
    stored = PetitionShareImage.objects.get(petition=petition)
    served = client.get(image_url(petition), {"v": stored.digest})

    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served["Cache-Control"]
    assert "max-age=31536000" in served["Cache-Control"]
    image = Image.open(io.BytesIO(served.content))
    assert (image.format, image.size) == ("JPEG", (1200, 630))
    assert len(image.getexif()) == 0
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    for secret in (b"Exif", CAMERA.encode(), SERIAL.encode(), COMMENT):
        assert secret not in served.content
    assert AuditEvent.objects.filter(object_type="cases.petition", fields=["share_image"]).exists()


def test_the_service_re_encodes_an_upload_whoever_calls_it(petition):
    stored = petitions.petition_set_share_image(
        petition=petition, upload=upload(photo(size=(800, 1400))), actor=None
    )

    image = Image.open(io.BytesIO(bytes(stored.data)))
    assert (image.size, stored.width, stored.height) == ((1200, 630), 1200, 630)
    assert len(image.getexif()) == 0
    assert SERIAL.encode() not in bytes(stored.data)


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [("PNG", "poster.png", "image/png"), ("WEBP", "poster.webp", "image/webp")],
)
def test_a_png_or_webp_upload_becomes_a_jpeg_too(petition, fmt, name, content_type):
    stored = petitions.petition_set_share_image(
        petition=petition, upload=upload(photo(fmt=fmt), name, content_type), actor=None
    )

    image = Image.open(io.BytesIO(bytes(stored.data)))
    assert (image.format, image.size) == ("JPEG", (1200, 630))
    assert len(image.getexif()) == 0


# --- Refused with a form error, never a 500 --------------------------------------------


def _truncated() -> bytes:
    whole = photo(with_metadata=False)
    return whole[: len(whole) // 2]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 630), (10, 10, 10)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"Dear Minister,\nthis is a letter.\n", "not a PNG, JPEG or WebP", id="text"),
        pytest.param(_truncated(), "not a PNG, JPEG or WebP", id="truncated"),
        pytest.param(_gif(), "not a PNG, JPEG or WebP", id="gif"),
        pytest.param(png_claiming(100_000, 100_000), "too many pixels", id="huge-bomb"),
        pytest.param(png_claiming(10_000, 10_000), "too many pixels", id="over-pillow-limit"),
        pytest.param(png_claiming(6_000, 5_000), "too many pixels", id="over-our-limit"),
        pytest.param(photo(size=(300, 200)), "too small", id="tiny"),
        pytest.param(b"\xff" * (images.MAX_UPLOAD_BYTES + 1), "larger than 5 MB", id="too-large"),
    ],
)
def test_what_is_not_a_real_picture_of_a_sane_size_is_a_form_error(
    staff, admin_form, petition, data, message
):
    response = post_upload(staff, admin_form, petition, share_image_upload=upload(data))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["share_image_upload"]
    assert any(message in error for error in errors), errors
    assert not PetitionShareImage.objects.exists()


def test_uploading_and_removing_at_once_is_a_form_error(staff, admin_form, petition):
    response = post_upload(
        staff, admin_form, petition, share_image_upload=upload(photo()), share_image_remove="on"
    )

    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert not PetitionShareImage.objects.exists()


# --- Public only once the petition is ----------------------------------------------------


def test_a_draft_petitions_image_is_a_404_like_a_missing_one(client, family):
    draft = make_petition("a-draft", family=family, publish=False)
    stored = petitions.petition_set_share_image(petition=draft, upload=upload(photo()), actor=None)
    without = make_petition("no-image", family=family)

    assert client.get(image_url(draft)).status_code == 404
    assert client.get(image_url(draft), {"v": stored.digest}).status_code == 404
    assert client.get(image_url(without)).status_code == 404

    petitions.petition_publish(petition=draft, actor=None)
    assert client.get(image_url(draft), {"v": stored.digest}).status_code == 200


def test_an_address_without_the_current_digest_is_cached_briefly(client, petition):
    stored = petitions.petition_set_share_image(
        petition=petition, upload=upload(photo()), actor=None
    )

    bare = client.get(image_url(petition))
    stale = client.get(image_url(petition), {"v": "0123456789abcdef"})
    again = client.get(image_url(petition), HTTP_IF_NONE_MATCH=f'"{stored.digest}"')

    assert bare["Cache-Control"] == stale["Cache-Control"] == "public, max-age=600"
    assert again.status_code == 304


# --- The pages' share tags -------------------------------------------------------------


def test_the_share_tags_name_the_petitions_image_once_it_has_one(
    client, petition, django_capture_on_commit_callbacks
):
    before = page_meta(client, petition)  # cached now: the upload must make it forgotten

    with django_capture_on_commit_callbacks(execute=True):
        stored = petitions.petition_set_share_image(
            petition=petition, upload=upload(photo()), actor=None
        )
    after = page_meta(client, petition)

    assert before["og:image"] == "http://testserver/static/img/share.png"
    assert (before["og:image:type"], before["og:image:width"]) == ("image/png", "1200")
    assert before["og:image:alt"] == "Two rings joined: a family together again"
    expected = f"http://testserver/petitions/{petition.slug}/share.jpg?v={stored.digest}"
    assert after["og:image"] == after["twitter:image"] == expected
    assert after["og:image:type"] == "image/jpeg"
    assert (after["og:image:width"], after["og:image:height"]) == ("1200", "630")
    assert after["og:image:alt"] == "Reunite the Tursun family"
    served = Image.open(io.BytesIO(client.get(expected).content))
    assert (served.format, *served.size) == ("JPEG", 1200, 630)


def test_removing_the_image_in_the_admin_brings_back_the_sites(
    client, staff, admin_form, petition, django_capture_on_commit_callbacks
):
    petitions.petition_set_share_image(petition=petition, upload=upload(photo()), actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(staff, admin_form, petition, share_image_remove="on")

    assert response.status_code == 302
    assert not PetitionShareImage.objects.exists()
    assert page_meta(client, petition)["og:image"] == "http://testserver/static/img/share.png"


def test_the_admin_previews_the_stored_image_from_our_own_address(staff, petition):
    stored = petitions.petition_set_share_image(
        petition=petition, upload=upload(photo()), actor=None
    )
    preview = reverse("admin:cases_petition_share_image", args=[petition.pk])

    page = staff.get(change_url(petition)).content.decode()
    image = staff.get(preview)

    assert f'src="{preview}?v={stored.digest}"' in page
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert image.content == bytes(stored.data)


def test_a_truncated_picture_is_refused_after_the_pdf_library_loosened_pillow():
    import weasyprint.images  # noqa: F401  sets PIL's LOAD_TRUNCATED_IMAGES when imported

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # what WeasyPrint does to the whole process
    with pytest.raises(ValidationError, match="not a PNG, JPEG or WebP"):
        images.share_image(File(io.BytesIO(_truncated()), name="half.jpg"))
