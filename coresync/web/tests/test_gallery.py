from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from coresync.web.models import GalleryImage
from coresync.web.selectors import site_content_invalidate
from coresync.web.services import gallery_image_render_variants


def _jpeg(width=1600, height=1000) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (width, height), (40, 30, 20)).save(buffer, "JPEG")
    return SimpleUploadedFile("suite.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_uploaded_photo_replaces_demo_gallery_with_webp_srcset(client, demo_spa):
    image = GalleryImage.objects.create(page="menssuite", image=_jpeg(), alt="The real lounge", caption="Lounge")
    gallery_image_render_variants(image=image)
    image.refresh_from_db()
    assert (image.width, image.height) == (1600, 1000)
    assert sorted(image.variants) == ["1200", "480", "800"]
    site_content_invalidate()
    html = client.get("/menssuite/").content.decode()
    assert "The real lounge" in html and "-480.webp 480w" in html and 'width="1600" height="1000"' in html
    assert "menssuite-2" not in html  # demo pictures give way to the spa's own


def test_small_upload_gets_one_variant(demo_spa):
    image = GalleryImage.objects.create(page="private", image=_jpeg(400, 300), alt="Pool")
    gallery_image_render_variants(image=image)
    assert list(image.variants) == ["400"]


def test_legal_page_blocks():
    from coresync.web.models import LegalPage

    page = LegalPage(body="## Title\n\nFirst para\nsame para\n\n\nSecond")
    assert page.blocks == [("h2", "Title"), ("p", "First para\nsame para"), ("p", "Second")]
