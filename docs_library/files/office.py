"""Office files and the zip containers around them, read without trusting them:
DOCX and ODT text (``_docx_text``, ``_odt_text``), and the check that a zip's
members inflate to no more than they declare or the limit allows. Runs inside
the extraction child (``extraction``), which imports this module.
"""

import io
import os
import struct
import zipfile
import zlib
from itertools import chain

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from lxml import etree
from odf import teletype
from odf.namespaces import TEXTNS
from odf.opendocument import load as load_odf

from django.core.exceptions import ImproperlyConfigured
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from docs_library.files.validation import _human_size


def _(message):
    """gettext where Django is configured; benchmarks and scripts get the English."""
    try:
        return gettext(message)
    except ImproperlyConfigured:
        return message


def _size(size):
    """A size as the reader's language writes it ("1.2 KB", "768,0 МБ")."""
    try:
        return filesizeformat(size)
    except ImproperlyConfigured:
        return _human_size(size)


class _Refused(Exception):
    """A file that is refused with a reason for editors."""


#: Local file header: signature, versions, flags, method, times, CRC, sizes,
#: then the lengths of the name and the extra field, which the data follows.
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _check_zip_members(path, max_total):
    """Inflate every member as a stream, keeping nothing, and count what comes out.

    The central directory's sizes are claims: zipfile, and so python-docx and
    odfpy, inflate a member whole and only then cut it at its declared size.
    A member that yields more than it declares, or members that yield more
    than ``max_total`` together, are refused before a parser sees them.
    """
    total = 0
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        for member in archive.infolist():
            if member.compress_type == zipfile.ZIP_STORED:
                produced = member.compress_size
            elif member.compress_type == zipfile.ZIP_DEFLATED:
                raw.seek(member.header_offset)
                header = LOCAL_HEADER.unpack(raw.read(LOCAL_HEADER.size))
                if header[0] != b"PK\x03\x04":
                    raise zipfile.BadZipFile(f"Bad local header for {member.filename}")
                raw.seek(header[-2] + header[-1], os.SEEK_CUR)
                cap = min(member.file_size, max_total - total)
                produced = _inflated_size(raw, member.compress_size, cap)
            else:
                raise _Refused(
                    _("Part %(name)s of this document is compressed in a way documents never are.")
                    % {"name": member.filename}
                )
            if produced > member.file_size:
                raise _Refused(
                    _(
                        "Part %(name)s of this document unpacks to more than the %(size)s it "
                        "declares. It may be a decompression bomb."
                    )
                    % {"name": member.filename, "size": _size(member.file_size)}
                )
            total += produced
            if total > max_total:
                raise _Refused(
                    _(
                        "This document unpacks to more than the limit of %(limit)s. "
                        "It may be a decompression bomb."
                    )
                    % {"limit": _size(max_total)}
                )


def _inflated_size(raw, compressed_size, cap):
    """Bytes the deflate stream at ``raw`` yields, counting no further than ``cap`` + 1."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    left = compressed_size
    while left > 0 and produced <= cap:
        data = raw.read(min(left, 64 * 1024))
        if not data:
            break
        left -= len(data)
        while data and produced <= cap:
            produced += len(inflater.decompress(data, 64 * 1024))
            data = inflater.unconsumed_tail
    return produced


W_P = qn("w:p")
W_TEXT_TAGS = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx_text(path):
    """Text of the body, headers, footers and notes, in reading order.

    Walks the XML rather than python-docx's paragraph objects, which skip
    content controls and text boxes, both common in official letterheads.
    """
    document = docx.Document(os.fspath(path))
    parts = {RT.HEADER: [], RT.FOOTER: [], RT.FOOTNOTES: [], RT.ENDNOTES: []}
    for rel in sorted(document.part.rels.values(), key=lambda rel: rel.rId):
        if rel.is_external or rel.reltype not in parts:
            continue
        target = rel.target_part
        element = getattr(target, "element", None)
        parts[rel.reltype].append(element if element is not None else parse_xml(target.blob))
    roots = chain(
        parts[RT.HEADER],
        [document.element.body],
        parts[RT.FOOTER],
        parts[RT.FOOTNOTES],
        parts[RT.ENDNOTES],
    )
    return "\n".join(line for root in roots for line in _docx_paragraphs(root))


def _docx_paragraphs(root):
    for paragraph in root.iter(W_P):
        if _inside_fallback(paragraph):
            continue
        pieces = []
        for element in paragraph.iter(*W_TEXT_TAGS):
            # Text boxes nest paragraphs in paragraphs; each is read once, on its own.
            if _nearest_paragraph(element) is not paragraph or _inside_fallback(element):
                continue
            pieces.append(W_TEXT_TAGS[element.tag] or element.text or "")
        line = "".join(pieces).strip()
        if line:
            yield line


def _nearest_paragraph(element):
    parent = element.getparent()
    while parent is not None and parent.tag != W_P:
        parent = parent.getparent()
    return parent


def _inside_fallback(element):
    """Whether the element is the legacy copy Word keeps of a drawing's text."""
    return any(ancestor.tag == MC_FALLBACK for ancestor in element.iterancestors())


ODF_BLOCKS = {(TEXTNS, "p"), (TEXTNS, "h")}


def _odt_text(path):
    """Text of the body, including tables and frames, then of page headers and footers."""
    document = load_odf(_without_doctypes(os.fspath(path)))
    lines = []
    for root in (document.text, document.masterstyles):
        if root is not None:
            _collect_odf_blocks(root, lines)
    return "\n".join(line for line in lines if line)


ODF_XML_PARTS = ("content.xml", "styles.xml", "meta.xml", "settings.xml")
#: DTDs and entities off, nothing from the network: a DOCTYPE is read past, not obeyed.
XML_NO_ENTITIES = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _without_doctypes(path):
    """The ODT itself, or a copy whose XML parts have their DOCTYPE and entity references removed.

    odfpy parses through defusedxml, which refuses a part that declares any
    entity, and then drops the part, so the document would lose all its text.
    Read with entities off, the markup and its text are kept; what an entity
    would have inserted (a file, a URL) is not.
    """
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        parts = {name: archive.read(name) for name in ODF_XML_PARTS if name in names}
        if not any(b"<!DOCTYPE" in data for data in parts.values()):
            return path
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as clean:
            for info in archive.infolist():
                data = parts.get(info.filename)
                if data is None:
                    data = archive.read(info)
                elif b"<!DOCTYPE" in data:
                    data = _strip_doctype(data)
                clean.writestr(info, data)
    copy.seek(0)
    return copy


def _strip_doctype(data):
    root = etree.fromstring(data, XML_NO_ENTITIES)
    for reference in list(root.iter(etree.Entity)):
        parent = reference.getparent()
        previous = reference.getprevious()
        if reference.tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + reference.tail
            else:
                parent.text = (parent.text or "") + reference.tail
        parent.remove(reference)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _collect_odf_blocks(node, lines):
    for child in node.childNodes:
        if getattr(child, "qname", None) in ODF_BLOCKS:
            # extractText includes nested notes and frames, so do not descend.
            lines.append(teletype.extractText(child).strip())
        elif child.nodeType == child.ELEMENT_NODE:
            _collect_odf_blocks(child, lines)


# Plain text and images ------------------------------------------------------
