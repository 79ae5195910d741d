"""Signature and seal images (NĐ 30/2020 Phụ lục I), drawn with Pillow.

We have no scanned handwriting or seal, so ``tinhso signing setup`` draws stand-ins: a blue, handwriting-like signature
from the person's name, and a red round seal (two circles, the agency's name around, a star in the middle) at the real
size of a seal (38 mm). Both are transparent PNGs; a province replaces them with the real images (docs/signing.md).
"""

import functools
import hashlib
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tinhso.core.errors import DomainError

BLUE = (18, 45, 170)
RED = (205, 20, 32)
MM_PER_INCH = 25.4
SEAL_DIAMETER_MM = 38.0
SIGNATURE_SIZE_MM = (48.0, 20.0)

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")


#: Letters a font must have to write Vietnamese (Debian's fonts-liberation 1.x lacks them; fonts-liberation2 has them).
VIETNAMESE_SAMPLE = "ắẠỦỈƠƯĐđữệ"


def _covers_vietnamese(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    try:
        cmap = TTFont(str(path), lazy=True).getBestCmap() or {}
    except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
        return False
    return all(ord(ch) in cmap for ch in VIETNAMESE_SAMPLE)


@functools.cache
def find_font(*file_names: str) -> Path:
    """The first of ``file_names`` under the system font folders that can write Vietnamese."""
    for name in file_names:
        for base in _FONT_DIRS:
            for hit in sorted(Path(base).rglob(name), reverse=True) if Path(base).is_dir() else []:
                if _covers_vietnamese(hit):
                    return hit
    raise DomainError(
        "font_missing", f"Không tìm thấy phông chữ tiếng Việt {', '.join(file_names)} (gói fonts-liberation2)."
    )


def serif_font() -> Path:
    """Times New Roman–compatible: Liberation Serif."""
    return find_font("LiberationSerif-Regular.ttf", "DejaVuSerif.ttf")


def _px(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


def _rng(seed_text: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big"))


def signature_image(full_name: str, *, dpi: int = 200, size_mm: tuple[float, float] = SIGNATURE_SIZE_MM) -> Image.Image:
    """A blue, handwriting-like signature for ``full_name``: slanted given name, initials and a flourish."""
    rng = _rng(full_name)
    scale = 3  # draw large, then downsample: smooth strokes
    width, height = _px(size_mm[0], dpi) * scale, _px(size_mm[1], dpi) * scale
    words = full_name.split()
    given = words[-1] if words else "?"
    initials = "".join(w[0] for w in words[:-1])
    text = f"{initials}.{given}" if initials else given

    font_path = find_font("LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf")
    size = int(height * 0.55)
    font = ImageFont.truetype(str(font_path), size)
    while font.getlength(text) > width * 0.78 and size > 10:
        size = int(size * 0.9)
        font = ImageFont.truetype(str(font_path), size)

    # The word on its own layer, sheared to the right like a quick hand.
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    text_w = font.getlength(text)
    x0 = (width - text_w) / 2 - width * 0.05
    y0 = height * 0.12
    draw.text((x0, y0), text, font=font, fill=255, stroke_width=max(1, size // 28), stroke_fill=255)
    shear = 0.32
    layer = layer.transform(layer.size, Image.Transform.AFFINE, (1, shear, -shear * height * 0.5, 0, 1, 0),
                            resample=Image.Resampling.BICUBIC)

    # A flourish: one cubic Bézier under the name, ending in a quick upward hook.
    draw = ImageDraw.Draw(layer)
    p0 = (width * 0.10, height * (0.78 + rng.uniform(-0.04, 0.04)))
    p1 = (width * 0.35, height * (0.98 + rng.uniform(-0.05, 0.02)))
    p2 = (width * 0.70, height * (0.60 + rng.uniform(-0.05, 0.05)))
    p3 = (width * 0.93, height * (0.42 + rng.uniform(-0.06, 0.06)))
    points = []
    for i in range(81):
        t = i / 80
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        points.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    stroke = max(2, height // 45)
    for i in range(len(points) - 1):
        # thinner towards both ends, like a pen lifting
        t = i / (len(points) - 1)
        w = max(1, round(stroke * (0.5 + math.sin(math.pi * t))))
        draw.line([points[i], points[i + 1]], fill=255, width=w)
    layer = layer.filter(ImageFilter.GaussianBlur(scale * 0.4))

    return _ink(layer.resize((width // scale, height // scale), Image.Resampling.LANCZOS), BLUE)


def seal_image(agency_name: str, *, dpi: int = 300, diameter_mm: float = SEAL_DIAMETER_MM) -> Image.Image:
    """A red round seal: outer and inner circles, the agency's name around the ring, a five-pointed star inside."""
    scale = 2
    size = _px(diameter_mm, dpi) * scale
    centre = size / 2
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    outer_w = _px(0.9, dpi) * scale
    inner_w = _px(0.45, dpi) * scale
    ring = _px(7.0, dpi) * scale  # width of the text band
    r_outer = centre - outer_w / 2 - 1
    r_inner = r_outer - ring
    draw.ellipse([centre - r_outer - outer_w / 2, centre - r_outer - outer_w / 2,
                  centre + r_outer + outer_w / 2, centre + r_outer + outer_w / 2], outline=255, width=outer_w)
    draw.ellipse([centre - r_inner, centre - r_inner, centre + r_inner, centre + r_inner], outline=255, width=inner_w)

    # The name around the ring, centred on the top, read clockwise.
    text = " ".join(agency_name.upper().split())
    font_path = find_font("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf")
    font_size = int(ring * 0.52)
    r_text = (r_outer + r_inner) / 2 - font_size * 0.05
    max_arc = math.radians(300) * r_text
    font = ImageFont.truetype(str(font_path), font_size)
    while font.getlength(text) * 1.08 > max_arc and font_size > 8:
        font_size -= 1
        font = ImageFont.truetype(str(font_path), font_size)
    spacing = 1.08
    total = font.getlength(text) * spacing
    angle = -math.pi / 2 - (total / r_text) / 2  # start left of the top, in radians (0 = east, y down)
    for ch in text:
        advance = font.getlength(ch) * spacing
        mid = angle + (advance / 2) / r_text
        if ch != " ":
            glyph_size = int(font_size * 1.8)
            glyph = Image.new("L", (glyph_size, glyph_size), 0)
            ImageDraw.Draw(glyph).text((glyph_size / 2, glyph_size / 2), ch, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(-math.degrees(mid + math.pi / 2), resample=Image.Resampling.BICUBIC)
            gx = centre + r_text * math.cos(mid) - glyph_size / 2
            gy = centre + r_text * math.sin(mid) - glyph_size / 2
            mask.paste(255, (round(gx), round(gy)), glyph)
        angle += advance / r_text

    # The star.
    r_star = r_inner * 0.42
    star = []
    for i in range(10):
        r = r_star if i % 2 == 0 else r_star * 0.382
        a = -math.pi / 2 + i * math.pi / 5
        star.append((centre + r * math.cos(a), centre + r * math.sin(a)))
    draw.polygon(star, fill=255)

    # Seal ink is slightly translucent: the signature under the seal's left part stays readable.
    mask = mask.point(lambda v: v * 88 // 100)
    return _ink(mask.resize((size // scale, size // scale), Image.Resampling.LANCZOS), RED)


def _ink(mask: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """One flat ink colour, shaped by ``mask`` as the alpha channel (compresses to almost nothing but the mask)."""
    image = Image.new("RGBA", mask.size, (*colour, 0))
    image.putalpha(mask)
    return image


def save_png(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGBA")


def load_png(path: Path) -> Image.Image:
    """A cached RGBA copy of the PNG at ``path`` (reloaded when the file changes)."""
    try:
        return _load(str(path), Path(path).stat().st_mtime)
    except OSError as exc:
        raise DomainError("image_missing", f"Không đọc được ảnh chữ ký/con dấu {path}.") from exc
