"""Patient photos: checked by content (never by file name), cleaned and re-encoded.

A photo from a phone carries EXIF metadata, often with the GPS position of the
patient's home. Re-encoding the pixels into a fresh file drops all of it. The
result is saved through the Photo model into the private storage, which no URL
maps to.
"""

import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 3
# Well above any phone camera (48 MP), well below what would exhaust memory when decoded.
MAX_PIXELS = 60_000_000
# Longest edge kept: plenty for a provider to see skin detail, and keeps storage small.
MAX_EDGE = 4096
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
ACCEPT = ",".join(["image/jpeg", "image/png", "image/webp", ".jpg", ".jpeg", ".png", ".webp"])


class CleanPhoto:
    """A re-encoded image ready to save: content without metadata, and what the Photo row needs."""

    def __init__(self, content, content_type, extension, width, height):
        self.content = content
        self.content_type = content_type
        self.extension = extension
        self.width = width
        self.height = height

    def as_file(self):
        return ContentFile(self.content, name=f"photo.{self.extension}")


def clean_photo(upload):
    """Check and re-encode one uploaded file; raises ValidationError with a patient-friendly message."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than 10 MB. Please choose a smaller photo."),
            code="too_large",
            params={"name": upload.name},
        )
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
                probe.verify()
            upload.seek(0)
            # verify() leaves the image unusable: open again to decode the pixels.
            with Image.open(upload) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise not_an_image
                image_format = image.format
                image.load()
                return _reencode(image, image_format)
    except ValidationError:
        raise
    except UnidentifiedImageError:
        raise not_an_image from None
    except Exception:  # noqa: BLE001  a malformed file makes Pillow raise almost anything (SyntaxError, struct.error…)
        raise not_an_image from None


def _reencode(image, image_format):
    # Apply the EXIF orientation to the pixels first, so the photo is not sideways once EXIF is gone.
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    image.info = {}  # nothing from the original file (EXIF, XMP, text chunks, comments) is written back
    if image_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        options = {"quality": 90, "optimize": True}
    else:
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L", "LA") else image
        options = {"quality": 90} if image_format == "WEBP" else {"optimize": True}
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    content_type, extension = FORMATS[image_format]
    return CleanPhoto(out.getvalue(), content_type, extension, image.width, image.height)
