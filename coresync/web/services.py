"""Writes owned by the website: gallery uploads."""

from __future__ import annotations

from io import BytesIO
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from .models import GalleryImage

GALLERY_WIDTHS = (480, 800, 1200)


def gallery_image_render_variants(*, image: GalleryImage) -> GalleryImage:
    """Resize an uploaded photograph into WebP variants for ``srcset`` and record its size.

    The original stays as uploaded (it is the ``<img src>`` fallback); variants
    wider than the original are skipped.
    """
    with image.image.open("rb") as handle:
        original = ImageOps.exif_transpose(Image.open(handle)).convert("RGB")
    image.width, image.height = original.size
    stem = PurePosixPath(image.image.name).with_suffix("")
    variants: dict[str, str] = {}
    for width in GALLERY_WIDTHS:
        if width > original.width and variants:
            continue
        target = min(width, original.width)
        scaled = original.resize((target, round(original.height * target / original.width)), Image.LANCZOS)
        buffer = BytesIO()
        scaled.save(buffer, "WEBP", quality=78, method=5)
        name = default_storage.save(f"{stem}-{target}.webp", ContentFile(buffer.getvalue()))
        variants[str(target)] = name
    image.variants = variants
    image.save(update_fields=["width", "height", "variants", "updated_at"])
    return image


def customer_signup(*, email: str, name: str, password: str, phone: str = ""):
    """Create a customer account (no membership; tiers are joined through the concierge or staff)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email=email, password=password, name=name.strip(), phone=phone.strip())
