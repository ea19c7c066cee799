"""Uploads' types found from their bytes, and images cleaned with Pillow: decoded whole, turned upright, re-encoded bare.

- The type is the magic number's: PNG, JPEG, WebP (``RIFF....WEBP``) or PDF
  (``%PDF-``). The name and the declared type are never asked; anything else
  (SVG, HTML, GIF, zip, nothing at all) is ``UnsupportedMediaType``.
- The pixel limit (40 megapixels) is checked on the size the header states,
  read here before Pillow sees the file, and again on the size Pillow reads:
  a 50,000 x 50,000 PNG is a few hundred bytes that would decode to gigabytes.
  The format's own Pillow class is called, not ``Image.open``, whose guard
  (``Image.MAX_IMAGE_PIXELS``, 89 MP) only warns below twice its limit; ours
  refuses first, so that warning never fires and no global setting is changed.
- The image is decoded fully (``load()``): a truncated or corrupt one fails
  here, as ``InvalidImage``, never as a 500.
- The EXIF orientation is applied to the pixels, since the EXIF that held it
  is dropped.
- An embedded ICC profile is converted to sRGB and then dropped: a profile is
  free-form bytes (it can carry text), and the pixels keep their colours.
- The pixels are re-encoded in the same format with fixed settings and
  nothing else: EXIF (GPS included), XMP, comments, text chunks and whatever
  followed the image (a zip after a PNG's IEND) are gone. ``info`` is emptied
  first, because Pillow's savers copy some of it by default. Fixed settings
  make the output deterministic: the same upload gives the same bytes, hence
  the same id (for one build of Pillow and its codecs).
- An animated PNG or WebP keeps its first frame; a JPEG with several pictures
  (MPO) its first picture.
- PDFs are kept byte for byte: not parsed and not sanitised. They are served
  as attachments under a sandboxing Content-Security-Policy (docs/uploads.md).
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from application.errors import InvalidImage, UnsupportedMediaType
from application.files import FileType
from application.ports import CleanFile

MAX_PIXELS = 40_000_000
JPEG_QUALITY = 90
WEBP_QUALITY = 90

_OPENERS: dict[FileType, Callable[[io.BytesIO], ImageFile.ImageFile]] = {
    FileType.PNG: PngImagePlugin.PngImageFile,
    FileType.JPEG: JpegImagePlugin.JpegImageFile,
    FileType.WEBP: WebPImagePlugin.WebPImageFile,
}
# JPEG start-of-frame markers (they carry the size): C0..CF but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RST0..7, SOI: no length follows


def sniff(data: bytes) -> FileType | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FileType.WEBP
    if data.startswith(b"%PDF-"):
        return FileType.PDF
    return None


def header_size(kind: FileType, data: bytes) -> tuple[int, int] | None:
    """(width, height) as the header states it, without decoding anything; None when it cannot be read."""
    if kind is FileType.PNG:
        if data[12:16] == b"IHDR" and len(data) >= 24:
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return None
    if kind is FileType.WEBP:
        return _webp_size(data)
    if kind is FileType.JPEG:
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # the canvas: 24-bit little-endian, minus one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        if marker in _SOF:
            if at + 9 > len(data):
                return None
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        if marker == 0xDA:  # start of scan before any frame header
            return None
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def _webp_lossless(data: bytes) -> bool:
    """Whether the (first) picture of a WebP file is VP8L, lossless; re-encoded the same way."""
    at = 12
    while at + 8 <= len(data):
        fourcc, size = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
        if fourcc in (b"VP8 ", b"VP8L"):
            return fourcc == b"VP8L"
        # An animation frame (ANMF) holds its picture's chunks after a 16-byte header: step into it.
        at += 8 + 16 if fourcc == b"ANMF" else 8 + size + (size & 1)
    return False


class PillowFileInspector:
    def __init__(self, max_pixels: int = MAX_PIXELS) -> None:
        self.max_pixels = max_pixels

    def clean(self, data: bytes) -> CleanFile:
        kind = sniff(data)
        if kind is None:
            raise UnsupportedMediaType("a file is a PNG, JPEG or WebP image, or a PDF; this one is none of them")
        if kind is FileType.PDF:
            return CleanFile(data=data, content_type=kind, width=None, height=None)
        self._check_pixels(header_size(kind, data))
        try:
            with _OPENERS[kind](io.BytesIO(data)) as image:
                self._check_pixels(image.size)
                image.load()
                return _reencoded(kind, image, lossless=kind is FileType.WEBP and _webp_lossless(data))
        except InvalidImage:
            raise
        except Exception as error:  # Pillow says "corrupt" in many ways: OSError, SyntaxError, ValueError, ...
            raise InvalidImage(f"the image does not decode: {error}") from None

    def _check_pixels(self, size: tuple[int, int] | None) -> None:
        if size is None:
            raise InvalidImage("the image's header does not state its size")
        width, height = size
        if width < 1 or height < 1:
            raise InvalidImage(f"the image's header states a size of {width} x {height}")
        if width * height > self.max_pixels:
            raise InvalidImage(
                f"the image is {width} x {height} pixels, more than {self.max_pixels // 1_000_000} megapixels"
            )


def _reencoded(kind: FileType, image: ImageFile.ImageFile, *, lossless: bool) -> CleanFile:
    transparency = image.info.get("transparency")
    icc = image.info.get("icc_profile")
    picture = _upright(image)
    if icc:
        picture = _to_srgb(picture, icc)
    picture.info.clear()  # savers default some options (icc_profile, comment, transparency) from info
    out = io.BytesIO()
    if kind is FileType.PNG:
        params = {"optimize": False, "compress_level": 6}
        if transparency is not None and picture.mode in ("1", "L", "I", "I;16", "P", "RGB"):
            params["transparency"] = transparency
        picture.save(out, "PNG", **params)
    elif kind is FileType.JPEG:
        if picture.mode not in ("L", "RGB", "CMYK"):
            picture = picture.convert("RGB")
        picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    else:
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
        picture.save(out, "WEBP", lossless=lossless, quality=100 if lossless else WEBP_QUALITY, method=4, exact=False)
    return CleanFile(data=out.getvalue(), content_type=kind, width=picture.width, height=picture.height)


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF orientation says they are seen (in place: no second copy of the pixels)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # an EXIF block that does not parse says nothing reliable about orientation
        pass
    return image


def _to_srgb(picture: Image.Image, icc: bytes) -> Image.Image:
    """The pixels converted from their embedded profile to sRGB; as they are when the profile does not apply."""
    if picture.mode not in ("RGB", "RGBA", "CMYK"):
        return picture
    alpha = picture.getchannel("A") if picture.mode == "RGBA" else None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            picture.convert("RGB") if alpha is not None else picture,
            source,
            ImageCms.createProfile("sRGB"),
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return picture  # a broken or mismatched profile: the pixels as they are, the profile dropped anyway
    if converted is None:
        return picture
    if alpha is not None:
        converted.putalpha(alpha)
    return converted
