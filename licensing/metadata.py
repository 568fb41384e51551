"""The licence written into a licensed image's own file: an XMP packet (JPEG APP1 segment, PNG
``iTXt`` chunk "XML:com.adobe.xmp") naming the licence, whose likeness it is, the use and the terms
version, with ``xmpRights:Marked`` and ``xmpRights:UsageTerms`` that photo tools show.

The library stores originals cleaned of all metadata (``assets/media/cleaning.py``); a licensed
image's original is then stored again with this packet inserted, pixels untouched, so every way out
of the library (downloads, the JSON API, zip exports, S3 URLs) carries it. Zip exports also name the
licence in their comment (``assets.services.exports.on_export``)."""

from __future__ import annotations

import hashlib
import logging
import struct
import zlib
from contextlib import suppress
from pathlib import PurePosixPath
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.db import transaction

from assets import storage
from assets.models import Asset

logger = logging.getLogger(__name__)

NAMESPACE = "https://personae.local/ns/licensing/1.0/"
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
PACKET_MAX = 65533 - len(JPEG_XMP_HEADER)  # one JPEG segment


def xmp_packet(*, licence_id: str, likeness_of: str, use: str, terms_version: int) -> bytes:
    """The XMP packet naming the licence (UTF-8, with the xpacket wrapper readers look for)."""
    terms = f"Licensed likeness of {likeness_of}, licence {licence_id}, for {use or 'the licensed'} use."
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        f'    xmlns:personae="{NAMESPACE}">\n'
        "   <xmpRights:Marked>True</xmpRights:Marked>\n"
        "   <xmpRights:UsageTerms><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{escape(terms)}</rdf:li>'
        "</rdf:Alt></xmpRights:UsageTerms>\n"
        f"   <personae:LicenceId>{escape(licence_id)}</personae:LicenceId>\n"
        f"   <personae:LicensedLikenessOf>{escape(likeness_of)}</personae:LicensedLikenessOf>\n"
        f"   <personae:LicenceUse>{escape(use)}</personae:LicenceUse>\n"
        f"   <personae:LicenceTermsVersion>{int(terms_version)}</personae:LicenceTermsVersion>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return text.encode("utf-8")[:PACKET_MAX]


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """``data`` (a JPEG or PNG) with the XMP ``packet`` inserted, pixels untouched: a JPEG APP1
    segment after the start marker (and after a JFIF APP0, which must come first), or a PNG
    ``iTXt`` chunk after the header. Anything else comes back unchanged."""
    if data[:2] == b"\xff\xd8":
        at = 2
        if data[2:4] == b"\xff\xe0":  # JFIF APP0 stays first
            at = 4 + struct.unpack(">H", data[4:6])[0]
        body = JPEG_XMP_HEADER + packet
        return data[:at] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[at:]
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        end = 8 + 4 + 4 + struct.unpack(">I", data[8:12])[0] + 4
        # keyword, null, compression flag and method (none), empty language tag and translated keyword
        body = PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet
        chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
        return data[:end] + chunk + data[end:]
    return data


def xmp_of(data: bytes) -> bytes:
    """The XMP packet in a JPEG or PNG written by ``with_xmp`` (or by any tool), or b''."""
    if data[:2] == b"\xff\xd8":
        at = 2
        while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] not in (0xD9, 0xDA):
            length = struct.unpack(">H", data[at + 2 : at + 4])[0]
            segment = data[at + 4 : at + 2 + length]
            if data[at + 1] == 0xE1 and segment.startswith(JPEG_XMP_HEADER):
                return segment[len(JPEG_XMP_HEADER) :]
            at += 2 + length
        return b""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        at = 8
        while at + 8 <= len(data):
            length = struct.unpack(">I", data[at : at + 4])[0]
            kind = data[at + 4 : at + 8]
            body = data[at + 8 : at + 8 + length]
            if kind == b"iTXt" and body.startswith(PNG_XMP_KEYWORD + b"\x00"):
                return body[len(PNG_XMP_KEYWORD) + 5 :]
            if kind == b"IEND":
                break
            at += 12 + length
    return b""


def asset_mark_licensed(asset: Asset, *, licence_id: str, likeness_of: str, use: str, terms_version: int) -> bool:
    """Store ``asset``'s original again with the licence's XMP packet; the old file goes once the
    transaction commits. False (and the file as it was) for a format XMP isn't written into here
    (anything but JPEG and PNG) — the licence is then in the recipe only."""
    packet = xmp_packet(licence_id=licence_id, likeness_of=likeness_of, use=use, terms_version=terms_version)
    with storage.storage().open(asset.original_key, "rb") as fh:
        data = fh.read()
    marked = with_xmp(data, packet)
    if marked == data:
        logger.info("asset %s (%s) left without an XMP licence mark", asset.pk, asset.mime)
        return False
    old_key = asset.original_key
    suffix = PurePosixPath(old_key).suffix.lstrip(".") or "jpg"
    new_key = storage.storage().save(
        storage.asset_key(asset.org, asset, "original-licensed", suffix), ContentFile(marked)
    )
    grown = len(marked) - len(data)
    asset.original_key = new_key
    asset.bytes = len(marked)
    asset.stored_bytes = (asset.stored_bytes or 0) + grown
    asset.sha256 = hashlib.sha256(marked).hexdigest()
    asset.metadata = {**asset.metadata, "licence_xmp": True}
    asset.save(update_fields=["original_key", "bytes", "stored_bytes", "sha256", "metadata"])

    if new_key != old_key:

        def _drop_old() -> None:
            with suppress(Exception):
                storage.delete(old_key)

        transaction.on_commit(_drop_old)
    return True


def licence_summary(asset: Asset) -> str:
    """The licence, in words, for a zip export's comment ('' for an image made under none)."""
    recipe = asset.recipe or {}
    if not recipe.get("license"):
        return ""
    return (
        f"Licensed likeness of {recipe.get('licensed_likeness_of', '')}\n"
        f"Licence {recipe['license']}, terms version {recipe.get('license_terms_version', '')}, "
        f"{recipe.get('license_use', '')} use"
    )
