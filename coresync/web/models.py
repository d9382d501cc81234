"""Content the spa edits in the admin: legal pages and the suite galleries.

Catalog pictures (categories, services) live on the catalog models; when a
picture is missing the site shows the drawn demo pictures from ``static/img``.
"""

from django.db import models

from coresync.core.models import TimeStampedModel


class LegalPage(TimeStampedModel):
    class Kind(models.TextChoices):
        TERMS = "terms", "Terms of service"
        PRIVACY = "privacy", "Privacy policy"
        REFUND = "refund", "Refund and cancellation policy"

    slug = models.SlugField(unique=True, choices=Kind.choices)
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="Plain text. A blank line starts a new paragraph; a line starting with '## ' is a heading.")
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def blocks(self) -> list[tuple[str, str]]:
        """The body as ``("h2" | "p", text)`` pairs; rendered escaped, never as HTML."""
        out = []
        for chunk in self.body.replace("\r\n", "\n").split("\n\n"):
            chunk = chunk.strip()
            if chunk.startswith("## "):
                out.append(("h2", chunk[3:].strip()))
            elif chunk:
                out.append(("p", chunk))
        return out


class GalleryImage(TimeStampedModel):
    """A photograph on one of the pages; uploads are resized into WebP variants for ``srcset``."""

    class Page(models.TextChoices):
        HOME = "home", "Home page hero"
        MENSSUITE = "menssuite", "Men's suite"
        PRIVATE = "private", "Private spa"

    page = models.CharField(max_length=16, choices=Page.choices, db_index=True)
    image = models.ImageField(upload_to="gallery/")
    alt = models.CharField(max_length=200, help_text="What the picture shows, for screen readers.")
    caption = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    variants = models.JSONField(default=dict, blank=True, editable=False, help_text="width -> WebP file name")

    class Meta:
        ordering = ["page", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_page_display()} · {self.alt}"
