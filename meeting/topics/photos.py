"""Residents' photos, re-encoded before anything is stored: no metadata leaves the phone's file.

A phone's photo carries EXIF (GPS position, the time to the second, the phone's make and serial),
XMP and other metadata. None of it is needed and the GPS position says where the resident lives,
so every accepted photo is decoded and encoded again from its pixels only:

- the type is what the **bytes** say (magic numbers, then Pillow restricted to that one format);
  the file name and the browser's type are never trusted;
- the pixel count is checked from the header **before** decoding: more than ``MAX_PIXELS`` is a
  decompression bomb (a few kB of PNG can claim gigapixels) and is refused, coded;
- the EXIF orientation is applied to the pixels first (so a portrait photo stays upright once
  the tag is gone); an embedded colour profile is converted to sRGB, then dropped;
- the longest side is bounded to ``MAX_SIDE`` pixels (a JPEG is decoded at a reduced scale when
  that still covers it); at most two photos are decoded at once;
- JPEG stays JPEG (quality 85), PNG stays PNG, WebP stays WebP; only the first frame of an
  animation is kept; nothing of the source's ``info`` (EXIF, XMP, ICC, text chunks, comments) is
  written.

The topic's event holds the SHA-256 of the **re-encoded** bytes, their type and size.
"""
from __future__ import annotations

import contextlib
import io
import struct
import threading
import warnings
from collections.abc import Iterator

from PIL import Image, ImageCms, ImageFile, ImageOps

from .errors import TopicError

MAX_SIDE = 2560  # px: a phone's 4032×3024 photo becomes 2560×1920, plenty for a topic's evidence
MAX_PIXELS = 50_000_000  # px in the source (a 50 MP phone camera fits): more is refused as a bomb
JPEG_QUALITY = 85
# at most two photos decoded at once (a 50 MP PNG takes 200 MB while it is decoded)
_DECODING = threading.BoundedSemaphore(2)

# the types we accept: (mime, Pillow's format name)
_TYPES: tuple[tuple[str, str], ...] = (("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WEBP"))


def sniff(data: bytes) -> str | None:
    """The photo's type from its first bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels in sRGB when the photo embeds another colour profile (a phone's Display P3),
    so dropping the profile does not shift the colours. A profile that cannot be read is ignored."""
    if not icc or im.mode not in ("RGB", "RGBA"):
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        out = ImageCms.profileToProfile(im, src, dst, outputMode=im.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im
    return out if out is not None else im


_STRICT = threading.Lock()


@contextlib.contextmanager
def _strict() -> Iterator[None]:
    """Decode with Pillow's truncated-file tolerance off. WeasyPrint (the PDFs) switches it on for
    the whole process when it is imported (``ImageFile.LOAD_TRUNCATED_IMAGES = True``), which would
    let a cut-off upload through as a half-grey picture. The flag is a module global: it is off only
    while a photo decodes, under a lock, and put back as it was."""
    with _STRICT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def clean(data: bytes) -> tuple[bytes, str]:
    """The photo re-encoded without any metadata, and its type. TopicError (coded) when it is not
    a JPEG, PNG or WebP, cannot be decoded, or claims too many pixels."""
    mime = sniff(data)
    if mime is None:
        raise TopicError("photo_bad_type")
    fmt = dict(_TYPES)[mime]
    with _DECODING, warnings.catch_warnings():
        # Pillow warns (DecompressionBombWarning) above its own limit and raises above twice
        # that; ours is lower and checked from the header, before any pixel is decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            src = Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise TopicError("photo_too_many_pixels", max_mp=MAX_PIXELS // 1_000_000) from None
        except (OSError, SyntaxError, ValueError):
            raise TopicError("photo_unreadable") from None
        with src:
            width, height = src.size
            if width < 1 or height < 1:
                raise TopicError("photo_unreadable")
            if width * height > MAX_PIXELS:
                raise TopicError("photo_too_many_pixels", max_mp=MAX_PIXELS // 1_000_000)
            try:
                src.seek(0)  # an animation: its first frame only
                if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when that still covers MAX_SIDE
                    src.draft("RGB" if src.mode != "L" else "L", (MAX_SIDE, MAX_SIDE))
                with _strict():
                    src.load()
                icc = src.info.get("icc_profile")
                im = ImageOps.exif_transpose(src)  # a new image, upright, its orientation applied
                if im is None:  # pragma: no cover - not in_place, Pillow returns the image
                    raise TopicError("photo_unreadable")
                return _encode(im, fmt, icc if isinstance(icc, bytes) else None), mime
            except (Image.DecompressionBombWarning, Image.DecompressionBombError):
                raise TopicError("photo_too_many_pixels", max_mp=MAX_PIXELS // 1_000_000) from None
            except (OSError, SyntaxError, ValueError, EOFError, struct.error):
                raise TopicError("photo_unreadable") from None


def _encode(im: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    small = fmt == "PNG" and im.mode == "P" and max(im.size) <= MAX_SIDE  # a palette PNG stays one
    if fmt == "JPEG":
        im = im if im.mode in ("L", "RGB") else im.convert("L" if im.mode == "1" else "RGB")
    elif not small and im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if alpha else "RGB")
    im = _srgb(im, icc)
    if max(im.size) > MAX_SIDE:
        im = im.copy()
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # a fresh image holding only the pixels: nothing of the source's info can be written
    bare = Image.frombytes(im.mode, im.size, im.tobytes())
    extra: dict[str, object] = {}
    if im.mode == "P":
        palette = im.getpalette()
        if palette is not None:
            bare.putpalette(palette)
        transparency = im.info.get("transparency")
        if isinstance(transparency, (int, bytes)):
            extra["transparency"] = transparency
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        bare.save(out, "PNG", **extra)
    else:
        bare.save(out, "WEBP", quality=JPEG_QUALITY, method=4)
    return out.getvalue()
