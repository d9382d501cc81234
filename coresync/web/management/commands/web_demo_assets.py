"""Draw the demo pictures and subset the web font, offline.

The spa replaces these with real photographs through the admin (gallery
images, category and service images); until then the site ships quiet,
abstract pictures drawn here with Pillow and saved as WebP and AVIF in a few
widths for ``srcset``. The font is DejaVu Sans Mono (Debian ``fonts-dejavu``),
subset to Latin and saved as WOFF2, so no font host is ever contacted.

Run: ``python manage.py web_demo_assets`` (needs ``fonttools`` from
requirements-dev for the font; the outputs are committed under ``static/``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw, ImageFilter

STATIC = Path(settings.BASE_DIR) / "static"
FONT_SOURCE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
FONT_UNICODES = "U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201D,U+2022,U+2026,U+2192,U+2190"


@dataclass(frozen=True)
class Picture:
    name: str
    size: tuple[int, int]  # drawn at this size, then scaled to each width
    widths: tuple[int, ...]
    base: tuple[int, int, int]
    glow: tuple[int, int, int]
    motif: str
    seed: int


PICTURES = [
    Picture("hero", (1200, 1500), (480, 800, 1200), (14, 12, 11), (196, 150, 96), "stones", 1),
    Picture("cat-massages", (1200, 900), (480, 800), (18, 13, 10), (181, 120, 72), "ripples", 2),
    Picture("cat-facials", (1200, 900), (480, 800), (20, 14, 15), (190, 132, 118), "orbs", 3),
    Picture("cat-barber", (1200, 900), (480, 800), (11, 13, 15), (140, 150, 160), "lines", 4),
    Picture("cat-mani-pedi", (1200, 900), (480, 800), (19, 14, 16), (200, 150, 140), "petals", 5),
    Picture("menssuite-1", (1200, 800), (480, 800, 1200), (12, 10, 9), (170, 120, 70), "lines", 11),
    Picture("menssuite-2", (1200, 800), (480, 800, 1200), (10, 10, 11), (150, 130, 100), "stones", 12),
    Picture("menssuite-3", (1200, 800), (480, 800, 1200), (14, 11, 9), (185, 140, 90), "ripples", 13),
    Picture("menssuite-4", (1200, 800), (480, 800, 1200), (9, 10, 12), (120, 135, 150), "orbs", 14),
    Picture("private-1", (1200, 800), (480, 800, 1200), (8, 12, 13), (90, 150, 150), "ripples", 21),
    Picture("private-2", (1200, 800), (480, 800, 1200), (10, 11, 12), (200, 160, 110), "stones", 22),
    Picture("private-3", (1200, 800), (480, 800, 1200), (9, 12, 12), (110, 160, 150), "orbs", 23),
    Picture("private-4", (1200, 800), (480, 800, 1200), (12, 10, 10), (190, 140, 110), "petals", 24),
]


def _glow(size: tuple[int, int], centre: tuple[float, float], radius: float, colour, strength: float) -> Image.Image:
    """A soft radial light as an RGBA layer."""
    mask = Image.radial_gradient("L").resize((int(radius * 2), int(radius * 2)), Image.BICUBIC)
    mask = mask.point(lambda v: int(255 * strength * max(0.0, 1 - v / 128) ** 2))
    layer = Image.new("RGBA", size, (*colour, 0))
    alpha = Image.new("L", size, 0)
    alpha.paste(mask, (int(centre[0] - radius), int(centre[1] - radius)))
    layer.putalpha(alpha)
    return layer


def _shade(colour, factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * factor))) for c in colour)


def _motif(img: Image.Image, pic: Picture, rng: random.Random) -> None:
    w, h = img.size
    shapes = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    if pic.motif == "stones":
        y = h * 0.78
        for i, (sw, sh) in enumerate([(0.62, 0.16), (0.48, 0.13), (0.36, 0.11), (0.24, 0.09)]):
            ww, hh = w * sw, h * sh * 0.72
            cx = w * 0.5 + rng.uniform(-0.03, 0.03) * w
            box = [cx - ww / 2, y - hh, cx + ww / 2, y]
            draw.ellipse(box, fill=(*_shade(pic.glow, 0.18 + 0.05 * i), 255))
            draw.ellipse([box[0] + ww * 0.12, box[1] + hh * 0.08, box[2] - ww * 0.2, box[1] + hh * 0.45],
                         fill=(*_shade(pic.glow, 0.34 + 0.05 * i), 120))
            y -= hh * 0.86
    elif pic.motif == "ripples":
        cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.45, 0.65)
        for r in range(40, int(max(w, h) * 0.9), 46):
            draw.ellipse([cx - r * 1.6, cy - r * 0.5, cx + r * 1.6, cy + r * 0.5],
                         outline=(*_shade(pic.glow, 1.0), max(40, 200 - r // 4)), width=7)
    elif pic.motif == "orbs":
        for _ in range(5):
            r = rng.uniform(0.08, 0.22) * w
            cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.25, 0.75) * h
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*_shade(pic.glow, rng.uniform(0.35, 0.6)), 80))
    elif pic.motif == "lines":
        for i in range(14):
            x = w * (0.12 + i * 0.065)
            draw.line([(x, h * 0.12), (x + w * 0.08, h * 0.92)], fill=(*_shade(pic.glow, 0.8), 60 + 12 * (i % 4)), width=5)
    elif pic.motif == "petals":
        cx, cy = w * 0.5, h * 0.52
        for i in range(7):
            rng_angle = i * 360 / 7 + rng.uniform(-6, 6)
            petal = Image.new("RGBA", (int(w * 0.5), int(h * 0.2)), (0, 0, 0, 0))
            ImageDraw.Draw(petal).ellipse([0, 0, petal.width, petal.height], fill=(*_shade(pic.glow, 0.5), 70))
            petal = petal.rotate(rng_angle, expand=True, resample=Image.BICUBIC)
            shapes.alpha_composite(petal, (int(cx - petal.width / 2 + (w * 0.12) * (i % 2 - 0.5)),
                                           int(cy - petal.height / 2)))
    shapes = shapes.filter(ImageFilter.GaussianBlur(radius=w / 260))
    img.alpha_composite(shapes)


def draw_picture(pic: Picture) -> Image.Image:
    rng = random.Random(pic.seed)
    w, h = pic.size
    img = Image.new("RGBA", pic.size, (*pic.base, 255))
    vertical = Image.linear_gradient("L").resize(pic.size).point(lambda v: int(v * 0.35))
    img.alpha_composite(Image.merge("RGBA", [*Image.new("RGB", pic.size, _shade(pic.base, 0.4)).split(), vertical]))
    img.alpha_composite(_glow(pic.size, (w * rng.uniform(0.3, 0.7), h * 0.35), max(w, h) * 0.7, pic.glow, 0.55))
    _motif(img, pic, rng)
    img.alpha_composite(_glow(pic.size, (w * 0.5, h * 0.3), max(w, h) * 0.25, _shade(pic.glow, 1.2), 0.18))
    return img.convert("RGB").filter(ImageFilter.GaussianBlur(radius=1.2))


def save_picture(pic: Picture, out_dir: Path) -> list[Path]:
    full = draw_picture(pic)
    written = []
    for width in pic.widths:
        height = round(pic.size[1] * width / pic.size[0])
        scaled = full.resize((width, height), Image.LANCZOS)
        for fmt, kwargs in (("webp", {"quality": 72, "method": 6}), ("avif", {"quality": 55})):
            path = out_dir / f"{pic.name}-{width}.{fmt}"
            scaled.save(path, fmt.upper(), **kwargs)
            written.append(path)
    return written


def subset_font(out: Path) -> Path:
    import logging

    from fontTools import subset  # dev dependency, only needed to rebuild the font

    logging.getLogger("fontTools").setLevel(logging.WARNING)

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["kern", "liga"]
    options.hinting = False
    options.desubroutinize = True
    font = subset.load_font(str(FONT_SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(FONT_UNICODES))
    subsetter.subset(font)
    subset.save_font(font, str(out), options)
    return out


class Command(BaseCommand):
    help = "Draw the demo pictures (WebP/AVIF) and subset the web font (WOFF2) into static/."

    def add_arguments(self, parser):
        parser.add_argument("--skip-font", action="store_true")

    def handle(self, *args, skip_font=False, **options):
        img_dir = STATIC / "img"
        img_dir.mkdir(parents=True, exist_ok=True)
        total = 0
        for pic in PICTURES:
            for path in save_picture(pic, img_dir):
                total += path.stat().st_size
        self.stdout.write(f"pictures: {total / 1024:.0f} KB in {img_dir}")
        if not skip_font:
            font_dir = STATIC / "fonts"
            font_dir.mkdir(parents=True, exist_ok=True)
            path = subset_font(font_dir / "dejavu-sans-mono-latin.woff2")
            self.stdout.write(f"font: {path.stat().st_size / 1024:.1f} KB at {path}")
