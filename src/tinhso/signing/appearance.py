"""Signature appearances: a transparent PNG (signature or seal) as the whole appearance of a signature field.

The image is compressed once per file and reused for every document (an RGB image XObject with its alpha channel as
a soft mask), instead of being re-encoded at every signature.
"""

import functools
import zlib
from pathlib import Path

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import layout as ph_layout
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.stamp import StaticStampStyle

from . import images


class EncodedImage(PdfContent):
    """An RGBA image, Flate-encoded in advance; ``render`` adds the two image objects to the current writer."""

    def __init__(self, width: int, height: int, rgb: bytes, alpha: bytes | None):
        super().__init__(box=ph_layout.BoxConstraints(width, height))
        self.width, self.height, self._rgb, self._alpha = width, height, rgb, alpha

    @classmethod
    def from_image(cls, image: Image.Image) -> "EncodedImage":
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        has_alpha = alpha.getextrema() != (255, 255)
        return cls(rgba.width, rgba.height, zlib.compress(rgba.convert("RGB").tobytes(), 9),
                   zlib.compress(alpha.tobytes(), 9) if has_alpha else None)

    def _image_object(self, data: bytes, colour_space: str, smask=None) -> generic.StreamObject:
        entries = {
            "/Type": generic.NameObject("/XObject"),
            "/Subtype": generic.NameObject("/Image"),
            "/Width": generic.NumberObject(self.width),
            "/Height": generic.NumberObject(self.height),
            "/ColorSpace": generic.NameObject(colour_space),
            "/BitsPerComponent": generic.NumberObject(8),
            "/Filter": generic.NameObject("/FlateDecode"),
        }
        if smask is not None:
            entries["/SMask"] = smask
        return generic.StreamObject({generic.NameObject(k): v for k, v in entries.items()}, encoded_data=data)

    def render(self) -> bytes:
        writer = self._ensure_writer
        smask = writer.add_object(self._image_object(self._alpha, "/DeviceGray")) if self._alpha else None
        image_ref = writer.add_object(self._image_object(self._rgb, "/DeviceRGB", smask))
        self.set_resource(ResourceType.XOBJECT, generic.NameObject("/Anh"), image_ref)
        return b"q %g 0 0 %g 0 0 cm /Anh Do Q" % (self.box.width, self.box.height)


@functools.lru_cache(maxsize=64)
def _encoded(path: str, mtime: float) -> EncodedImage:
    return EncodedImage.from_image(images.load_png(Path(path)))


def image_style(path: Path) -> StaticStampStyle:
    """The appearance of a signature field: the PNG at ``path``, filling the field's box, no border, opaque."""
    encoded = _encoded(str(path), Path(path).stat().st_mtime)
    # A fresh content object for each signature (it remembers the writer it was rendered for); the data is shared.
    content = EncodedImage(encoded.width, encoded.height, encoded._rgb, encoded._alpha)
    return StaticStampStyle(
        background=content, border_width=0, background_opacity=1.0,
        background_layout=ph_layout.SimpleBoxLayoutRule(
            x_align=ph_layout.AxisAlignment.ALIGN_MID, y_align=ph_layout.AxisAlignment.ALIGN_MID,
            margins=ph_layout.Margins.uniform(0),
        ),
    )
