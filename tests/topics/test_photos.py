"""Residents' photos are re-encoded before they are stored: no EXIF (GPS), orientation applied,
pixel size bounded, decompression bombs and broken files refused with a code."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import datetime

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from meeting import workdays
from meeting.service import Service
from meeting.store import Store
from meeting.topics import photos
from meeting.topics.decide import CHINA, Actor
from meeting.topics.errors import TopicError
from meeting.topics.service import TopicService
from meeting.topics.store import TopicStore

GPS_IFD = 0x8825
ORIENTATION = 0x0112
FIELDS = {"name": "王阿姨", "contact": "13800000000", "building": "3幢", "category": "building",
          "title": "路灯坏了", "description": "3幢门口的路灯坏了一个月"}


def gps_jpeg(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera make, and an orientation tag."""
    im = Image.new("RGB", size, (200, 30, 30))
    im.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows the rotation
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15 Pro"  # Model
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 15.0, 12.34), 3: "E", 4: (120.0, 9.0, 56.78)})
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=95, comment=b"secret comment")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels, with a tiny (broken) body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_the_fixture_really_carries_gps_and_orientation():
    with Image.open(io.BytesIO(gps_jpeg())) as im:
        exif = im.getexif()
        assert exif[ORIENTATION] == 6 and exif.get_ifd(GPS_IFD)[1] == "N"


def test_a_jpeg_with_gps_exif_comes_out_without_it_and_upright():
    data, mime = photos.clean(gps_jpeg())
    assert mime == "image/jpeg"
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        assert len(im.getexif()) == 0 and not im.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)
        assert im.size == (20, 40)  # orientation 6 (rotate 90° clockwise) applied to the pixels
        top = im.convert("RGB").getpixel((10, 2))
        assert top[2] > 150 and top[0] < 100  # the blue left half is now on top
    for marker in (b"Exif\x00\x00", b"PhoneMaker", b"Phone 15 Pro", b"secret comment"):
        assert marker not in data


def test_png_text_chunks_and_exif_are_dropped_and_transparency_kept():
    im = Image.new("RGBA", (8, 8), (0, 128, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: building 3, flat 502")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 15.0, 12.0)})
    out = io.BytesIO()
    im.save(out, "PNG", pnginfo=info, exif=exif)
    assert b"home address" in out.getvalue() and b"eXIf" in out.getvalue()
    data, mime = photos.clean(out.getvalue())
    assert mime == "image/png" and b"home address" not in data and b"PhoneMaker" not in data
    assert b"eXIf" not in data and b"tEXt" not in data
    with Image.open(io.BytesIO(data)) as back:
        assert back.mode == "RGBA" and back.getpixel((0, 0))[3] == 0


def test_a_palette_png_keeps_its_palette_and_transparency():
    im = Image.new("P", (4, 4), 1)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = io.BytesIO()
    im.save(out, "PNG", transparency=0)
    data, _mime = photos.clean(out.getvalue())
    with Image.open(io.BytesIO(data)) as back:
        assert back.mode == "P" and back.convert("RGBA").getpixel((0, 0)) == (255, 0, 0, 255)


def test_webp_is_re_encoded_without_exif():
    im = Image.new("RGB", (16, 16), (10, 20, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 15.0, 12.0)})
    out = io.BytesIO()
    im.save(out, "WEBP", exif=exif)
    assert b"EXIF" in out.getvalue()
    data, mime = photos.clean(out.getvalue())
    assert mime == "image/webp" and b"EXIF" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as back:
        assert len(back.getexif()) == 0


def test_the_pixel_size_is_bounded():
    im = Image.new("RGB", (photos.MAX_SIDE * 2, 100), (255, 255, 255))
    out = io.BytesIO()
    im.save(out, "PNG")
    data, _mime = photos.clean(out.getvalue())
    with Image.open(io.BytesIO(data)) as back:
        assert back.size == (photos.MAX_SIDE, 50)
    big = gps_jpeg((3000, 3500), orientation=1)
    with Image.open(io.BytesIO(photos.clean(big)[0])) as back:
        assert max(back.size) <= photos.MAX_SIDE and back.size[1] > back.size[0]


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(TopicError) as info:
        photos.clean(png_header(30_000, 30_000))  # 900 megapixels claimed by 100 bytes
    assert info.value.code == "photo_too_many_pixels" and "50" in info.value.message_zh
    with pytest.raises(TopicError) as info:
        photos.clean(png_header(8_000, 6_300))  # just over our limit, under Pillow's own
    assert info.value.code == "photo_too_many_pixels"


@pytest.mark.parametrize("tolerant", [False, True])
def test_broken_and_disguised_files_are_refused(tolerant, monkeypatch):
    # WeasyPrint, imported for the PDFs, makes Pillow tolerate truncated files process-wide
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", tolerant)
    good = gps_jpeg()
    for bad, code in ((good[: len(good) // 2], "photo_unreadable"), (png_header(10, 10), "photo_unreadable"),
                      (b"\xff\xd8\xff" + b"\x00" * 100, "photo_unreadable"),
                      (b"GIF89a" + b"\x00" * 30, "photo_bad_type"), (b"", "photo_bad_type")):
        with pytest.raises(TopicError) as info:
            photos.clean(bad)
        assert info.value.code == code, bad[:10]
        assert info.value.message_zh and info.value.message_en
    assert ImageFile.LOAD_TRUNCATED_IMAGES is tolerant  # put back as it was


@pytest.fixture
def topics(tmp_path):
    workdays.set_notices([])
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    now = int(datetime(2026, 11, 2, 9, tzinfo=CHINA).timestamp() * 1000)
    service = Service(store, b"test-secret", clock=lambda: now)
    yield TopicService(TopicStore(store.engine), service, clock=lambda: now)
    store.close()


async def test_the_stored_photo_is_the_clean_one_and_its_hash_is_of_the_clean_bytes(topics):
    original = gps_jpeg()
    state, _token = await topics.submit("c1", Actor("resident"), FIELDS, [original])
    (photo,) = state.photos
    stored, mime = await topics.photo(state, photo.hash)
    assert mime == "image/jpeg" and stored != original
    assert hashlib.sha256(stored).hexdigest() == photo.hash and photo.size == len(stored)
    assert b"Exif\x00\x00" not in stored and b"PhoneMaker" not in stored
    assert hashlib.sha256(original).hexdigest() != photo.hash
    assert topics.store.photo(hashlib.sha256(original).hexdigest()) is None  # the original is never stored


async def test_a_refused_photo_stores_nothing(topics):
    with pytest.raises(TopicError) as info:
        await topics.submit("c1", Actor("resident"), FIELDS, [gps_jpeg(), png_header(30_000, 30_000)])
    assert info.value.code == "photo_too_many_pixels"
    assert topics.store.topic_ids("c1") == []
