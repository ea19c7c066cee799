"""The file inspector: the type from the bytes only; images decoded whole, turned upright and re-encoded bare."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from adapters.files.inspector import PillowFileInspector
from application.errors import InvalidImage, UnsupportedMediaType
from application.files import FileType

MARKER = "SECRET-MARKER-51.5074N"  # in the EXIF's GPS block, the description, XMP, comments and text chunks
XMP = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description about="{MARKER}"/></x:xmpmeta>'.encode()
ORIENTATION, DESCRIPTION, MAKE, GPS_IFD = 0x0112, 0x010E, 0x010F, 0x8825


def exif(orientation: int = 1) -> Image.Exif:
    found = Image.Exif()
    found[ORIENTATION] = orientation
    found[DESCRIPTION] = MARKER
    found[MAKE] = "PhoneCo"
    found[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.64), 3: "W", 4: (0.0, 7.0, 39.0), 27: MARKER.encode()}
    return found


def quadrants(size: tuple[int, int] = (64, 32), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: where the red ends up says how the picture was turned."""
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def png_with_everything(orientation: int = 1) -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", MARKER)
    text.add_text("Description", MARKER, zip=True)
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encoded(quadrants(), "PNG", pnginfo=text, exif=exif(orientation))


def jpeg_with_everything(orientation: int = 1) -> bytes:
    return encoded(quadrants(), "JPEG", exif=exif(orientation), comment=MARKER, xmp=XMP, quality=95)


def webp_with_everything(orientation: int = 1, lossless: bool = False) -> bytes:
    return encoded(quadrants(), "WEBP", exif=exif(orientation), xmp=XMP, lossless=lossless)


def reopened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header states this size: a decompression bomb's shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def jpeg_header_claiming(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0" + sof + b"\xff\xd9"


def webp_header_claiming(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


@pytest.fixture
def inspector() -> PillowFileInspector:
    return PillowFileInspector()


@pytest.mark.parametrize(
    ("made", "kind"),
    [(png_with_everything, FileType.PNG), (jpeg_with_everything, FileType.JPEG), (webp_with_everything, FileType.WEBP)],
)
def test_an_image_is_stored_without_exif_gps_xmp_comments_or_text(inspector: PillowFileInspector, made, kind) -> None:  # type: ignore[no-untyped-def]
    sent = made()
    assert MARKER.encode() in sent, "the test image carries the metadata"
    assert reopened(sent).getexif().get_ifd(GPS_IFD), "and a GPS block"
    clean = inspector.clean(sent)
    assert clean.content_type == kind
    assert MARKER.encode() not in clean.data
    for trace in (b"Exif", b"PhoneCo", b"xmpmeta", b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"ICCP", b"iCCP"):
        assert trace not in clean.data, trace
    stored = reopened(clean.data)
    assert stored.format == kind.name
    assert not stored.getexif(), "no EXIF at all, so no GPS"
    assert not {"exif", "xmp", "comment", "icc_profile", "Comment", "Description", "XML:com.adobe.xmp"} & set(stored.info)
    assert (clean.width, clean.height) == stored.size == (64, 32)


@pytest.mark.parametrize("made", [png_with_everything, jpeg_with_everything, webp_with_everything])
def test_the_exif_orientation_is_applied_to_the_pixels(inspector: PillowFileInspector, made) -> None:  # type: ignore[no-untyped-def]
    clean = inspector.clean(made(orientation=6))  # 6: seen turned a quarter clockwise
    stored = reopened(clean.data).convert("RGB")
    assert (clean.width, clean.height) == stored.size == (32, 64)
    top, bottom = stored.getpixel((16, 8)), stored.getpixel((16, 56))
    assert top[0] > 200 and top[2] < 60, f"the left (red) half is now on top: {top}"
    assert bottom[2] > 200 and bottom[0] < 60, f"the right (blue) half is now below: {bottom}"


def test_a_png_keeps_its_exact_pixels_and_transparency(inspector: PillowFileInspector) -> None:
    image = Image.new("P", (4, 2), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.putpixel((0, 0), 1)
    clean = inspector.clean(encoded(image, "PNG", transparency=0))
    stored = reopened(clean.data).convert("RGBA")
    assert stored.getpixel((0, 0)) == (0, 0, 255, 255)
    assert stored.getpixel((3, 1))[3] == 0, "the transparent colour stays transparent"


@pytest.mark.parametrize("made", [png_with_everything, jpeg_with_everything, webp_with_everything])
def test_the_same_upload_gives_the_same_bytes(inspector: PillowFileInspector, made) -> None:  # type: ignore[no-untyped-def]
    sent = made()
    assert inspector.clean(sent) == inspector.clean(sent)
    assert PillowFileInspector().clean(sent).data == inspector.clean(sent).data


def test_a_lossless_webp_stays_lossless_and_exact(inspector: PillowFileInspector) -> None:
    clean = inspector.clean(webp_with_everything(lossless=True))
    assert clean.data[12:16] == b"VP8L"
    assert reopened(clean.data).convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def swapped_primaries() -> bytes:
    """An RGB profile whose red primary is sRGB's blue and the other way round: red pixels under it look blue."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    r, b = entries[b"rXYZ"], entries[b"bXYZ"]
    data[r + 4 : r + 12], data[b + 4 : b + 12] = data[b + 4 : b + 12], data[r + 4 : r + 12]
    return bytes(data)


@pytest.mark.parametrize(
    ("profile", "seen"),
    [(swapped_primaries(), (0, 0, 255)), (b"not a profile at all", (255, 0, 0))],
    ids=["converted-to-srgb", "broken-profile-ignored"],
)
def test_an_embedded_colour_profile_is_applied_then_dropped(
    inspector: PillowFileInspector, profile: bytes, seen: tuple[int, int, int]
) -> None:
    for mode in ("RGB", "RGBA"):
        clean = inspector.clean(encoded(quadrants(mode=mode), "PNG", icc_profile=profile))
        stored = reopened(clean.data)
        assert "icc_profile" not in stored.info
        assert b"iCCP" not in clean.data
        assert stored.mode == mode, "an alpha channel survives the conversion"
        assert stored.getpixel((0, 0))[:3] == seen


def test_an_animation_keeps_its_first_frame(inspector: PillowFileInspector) -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue", "green")]
    sent = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    assert reopened(sent).n_frames == 3
    stored = reopened(inspector.clean(sent).data)
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((4, 4)) == (255, 0, 0)


@pytest.mark.parametrize(
    "bomb",
    [png_header_claiming(50_000, 50_000), jpeg_header_claiming(50_000, 50_000), webp_header_claiming(16_384, 16_384),
     png_header_claiming(10_000, 10_000), png_header_claiming(7_000, 6_000)],
    ids=["png-50k", "jpeg-50k", "webp-16k", "png-100MP", "png-42MP"],
)
def test_an_image_over_40_megapixels_is_refused_from_its_header_without_a_warning(
    inspector: PillowFileInspector, bomb: bytes
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InvalidImage, match="megapixels"):
            inspector.clean(bomb)
    assert [str(w.message) for w in caught] == []


def test_the_pixel_limit_holds_at_its_edge() -> None:
    inspector = PillowFileInspector(max_pixels=200)
    assert inspector.clean(encoded(Image.new("L", (10, 20)), "PNG")).width == 10
    with pytest.raises(InvalidImage, match="10 x 21"):
        inspector.clean(encoded(Image.new("L", (10, 21)), "PNG"))


@pytest.mark.parametrize("made", [png_with_everything, jpeg_with_everything, webp_with_everything])
def test_a_truncated_image_is_invalid(inspector: PillowFileInspector, made) -> None:  # type: ignore[no-untyped-def]
    sent = made()
    for cut in (len(sent) // 2, 40):
        with pytest.raises(InvalidImage):
            inspector.clean(sent[:cut])


@pytest.mark.parametrize(
    "broken",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        png_header_claiming(0, 10),
        png_header_claiming(100, 100),  # its pixel data is far too short
        b"\xff\xd8\xff" + b"\0" * 100,
        b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 100,
    ],
    ids=["png-no-header", "png-zero-wide", "png-short-data", "jpeg-no-frame", "webp-no-frame"],
)
def test_a_corrupt_image_is_invalid_not_a_crash(inspector: PillowFileInspector, broken: bytes) -> None:
    with pytest.raises(InvalidImage):
        inspector.clean(broken)


def test_a_png_with_a_zip_appended_is_stored_without_the_zip(inspector: PillowFileInspector) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    sent = encoded(quadrants(), "PNG") + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(sent)), "the polyglot is a zip too"
    clean = inspector.clean(sent)
    assert b"PK\x03\x04" not in clean.data and b"payload" not in clean.data
    assert clean.data.endswith(chunk(b"IEND", b""))
    assert not zipfile.is_zipfile(io.BytesIO(clean.data))
    assert reopened(clean.data).convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_the_type_comes_from_the_bytes_whatever_follows_them(inspector: PillowFileInspector) -> None:
    jpeg = jpeg_with_everything()
    assert inspector.clean(jpeg + b"%PDF-1.7\n").content_type == FileType.JPEG  # a JPEG meant to pass for a PDF
    pdf = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"
    assert inspector.clean(pdf).content_type == FileType.PDF


def test_a_pdf_is_kept_byte_for_byte(inspector: PillowFileInspector) -> None:
    sent = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Author (" + MARKER.encode() + b") >>\nendobj\n%%EOF\n"
    clean = inspector.clean(sent)
    assert clean.data == sent
    assert (clean.content_type, clean.width, clean.height) == (FileType.PDF, None, None)


@pytest.mark.parametrize(
    "sent",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        encoded(Image.new("RGB", (4, 4)), "GIF"),
        encoded(Image.new("RGB", (4, 4)), "BMP"),
        encoded(Image.new("RGB", (4, 4)), "TIFF"),
        b"PK\x03\x04" + b"\0" * 30,
        b"RIFF\x24\0\0\0WAVEfmt ",
        b"\x89PNG",  # not the whole signature
        b" %PDF-1.7",  # not at the start
        b"plain text",
        b"",
    ],
    ids=["svg", "svg-xml", "html", "gif", "bmp", "tiff", "zip", "wav", "png-prefix", "pdf-later", "text", "empty"],
)
def test_anything_else_is_an_unsupported_media_type(inspector: PillowFileInspector, sent: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        inspector.clean(sent)
