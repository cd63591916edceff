"""Patient photos: checked by content (never by file name), cleaned and re-encoded.

A photo from a phone carries EXIF metadata, often with the GPS position of the
patient's home. Re-encoding the pixels into a fresh file drops all of it. The
result is saved through the Photo model into the private storage, which no URL
maps to.
"""

import io
import threading
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 3
# Longest edge kept: plenty for a provider to see skin detail, and keeps storage small.
MAX_EDGE = 4096
# Pixel budgets, so that decoding stays small in memory (a 10 MB file can claim gigapixels).
# A JPEG is decoded at 1/2, 1/4 or 1/8 scale when it is larger than needed (draft()), so a
# 50 MP camera photo costs about 12 MP of memory (36 MB); PNG and WebP decode at full size,
# so they may have as many pixels as we keep (4096 x 4096, 64 MB as RGBA).
MAX_JPEG_PIXELS = 50_000_000
MAX_OTHER_PIXELS = MAX_EDGE * MAX_EDGE
# All the photos of one request together: three of the largest we take, no more, so one
# request's decoding time is bounded however its files claim to be built.
MAX_REQUEST_PIXELS = MAX_FILES * MAX_JPEG_PIXELS
# Pillow's own guard: a warning above this (an error here) and a hard error above twice it,
# raised before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
ACCEPT = ",".join(["image/jpeg", "image/png", "image/webp", ".jpg", ".jpeg", ".png", ".webp"])


class CleanPhoto:
    """A re-encoded image ready to save: content without metadata, and what the Photo row needs."""

    def __init__(self, content, content_type, extension, width, height, source_pixels=0):
        self.content = content
        self.source_pixels = source_pixels
        self.content_type = content_type
        self.extension = extension
        self.width = width
        self.height = height

    def as_file(self):
        return ContentFile(self.content, name=f"photo.{self.extension}")


BUSY = _(
    "We are busy with other people's photos right now. Please send the form again in a minute "
    "(choose your photos again: your answers are kept)."
)

_decodes = None
_decodes_lock = threading.Lock()


def _decode_slots():
    """The per-process bound on photos decoded at once (CLINIC_PHOTO_DECODES), made on first use."""
    global _decodes  # noqa: PLW0603  one semaphore per process, sized from the settings
    with _decodes_lock:
        if _decodes is None or _decodes[0] != settings.CLINIC_PHOTO_DECODES:
            _decodes = (settings.CLINIC_PHOTO_DECODES, threading.BoundedSemaphore(settings.CLINIC_PHOTO_DECODES))
        return _decodes[1]


def clean_photos(uploads):
    """Check and re-encode a post's photos (already counted and sized) into CleanPhotos.

    Decoding is the costly part of a post (a second of CPU and a hundred MB for three large
    photos), so at most CLINIC_PHOTO_DECODES posts decode at once per process; a post that
    cannot get a turn within CLINIC_PHOTO_DECODE_WAIT_SECONDS is refused with BUSY (a clear
    "try again", never a 500 or a pile-up of workers). Raises ValidationError for the lot.
    """
    if not uploads:
        return []
    slots = _decode_slots()
    if not slots.acquire(timeout=settings.CLINIC_PHOTO_DECODE_WAIT_SECONDS):
        raise ValidationError(BUSY, code="busy")
    try:
        cleaned, errors = [], []
        pixels_left = MAX_REQUEST_PIXELS
        for upload in uploads:
            try:
                photo = clean_photo(upload, pixels_left)
                pixels_left -= photo.source_pixels
                cleaned.append(photo)
            except ValidationError as error:
                errors.extend(error.error_list)
    finally:
        slots.release()
    if errors:
        raise ValidationError(errors)
    return cleaned


def too_large(upload):
    return ValidationError(
        _("“%(name)s” is larger than 10 MB. Please choose a smaller photo."),
        code="too_large",
        params={"name": upload.name},
    )


def too_many_pixels(upload):
    return ValidationError(
        _("“%(name)s” has more pixels than we can take. Please send a photo of at most 50 megapixels."),
        code="too_many_pixels",
        params={"name": upload.name},
    )


def clean_photo(upload, pixels_left=MAX_REQUEST_PIXELS):
    """Check and re-encode one uploaded file; raises ValidationError with a patient-friendly message.

    pixels_left: what the request's pixel budget still allows (the form counts it down).
    """
    if upload.size > MAX_BYTES:
        raise too_large(upload)
    not_an_image = ValidationError(
        _("“%(name)s” is not a JPEG, PNG or WebP photo."), code="not_an_image", params={"name": upload.name}
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, on "decompression bombs": treat the warning as a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in FORMATS:
                    raise not_an_image
                _check_pixels(probe, upload, pixels_left)
                probe.verify()
            upload.seek(0)
            # verify() leaves the image unusable: open again to decode the pixels.
            with Image.open(upload) as image:
                source_pixels = _check_pixels(image, upload, pixels_left)
                image_format = image.format
                if image_format == "JPEG":
                    # Decode at the smallest 1/2^n scale that still gives at least half the
                    # edge we keep: a fraction of the memory, and no visible loss once resized.
                    image.draft("RGB", _fit(image.size, MAX_EDGE // 2))
                image.load()
                return _reencode(image, image_format, source_pixels)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_many_pixels(upload) from None
    except ValidationError:
        raise
    except UnidentifiedImageError:
        raise not_an_image from None
    except Exception:  # noqa: BLE001  a malformed file makes Pillow raise almost anything (SyntaxError, struct.error…)
        raise not_an_image from None


def _check_pixels(image, upload, pixels_left):
    """The declared pixel count, read from the header before any decoding; refused over a budget."""
    pixels = image.width * image.height
    if pixels > (MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_OTHER_PIXELS):
        raise too_many_pixels(upload)
    if pixels > pixels_left:
        raise ValidationError(
            _("Your photos have more pixels together than we can take. Please send fewer or smaller photos."),
            code="request_too_many_pixels",
        )
    return pixels


def _fit(size, edge):
    """size scaled down (never up) to fit in an edge x edge box, keeping its shape."""
    width, height = size
    scale = min(1, edge / max(width, height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _reencode(image, image_format, source_pixels):
    # Apply the EXIF orientation to the pixels first, so the photo is not sideways once EXIF is
    # gone; in place, so the untransposed pixels are freed at once.
    ImageOps.exif_transpose(image, in_place=True)
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    image.info = {}  # nothing from the original file (EXIF, XMP, text chunks, comments) is written back
    if image_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        options = {"quality": 90, "optimize": True}
    else:
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L", "LA") else image
        # zlib level 6, not optimize (level 9): a 4096 x 4096 PNG took seconds longer for a few % of size.
        options = {"quality": 90} if image_format == "WEBP" else {"compress_level": 6}
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    content_type, extension = FORMATS[image_format]
    return CleanPhoto(out.getvalue(), content_type, extension, image.width, image.height, source_pixels)
