"""Real sample files, generated on demand.

The repository keeps no binary fixtures: every file the extraction and upload
tests need is built here from text with fpdf2, python-docx, odfpy, Pillow and
pypdf, so a reviewer can read exactly what each sample contains, and hostile
files never sit in the tree where a scanner or an editor might open them.
"""

import datetime
import functools
import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from fpdf import FPDF
from odf import table as odf_table
from odf import text as odf_text
from odf.opendocument import OpenDocumentText
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

#: Contains every Kazakh-only letter: ә ғ қ ң ө ұ ү һ і.
KAZAKH_TEXT = (
    "Бастауыш партия ұйымының жиналысы өтті. "
    "Қаһарман еңбегі үшін әкімдік алғыс білдірді. "
    "Өңірлік филиал құжаттарды электронды түрде жібереді."
)
KAZAKH_WORDS = ("ұйымының", "өтті", "Қаһарман", "еңбегі", "әкімдік", "алғыс", "білдірді")
KAZAKH_TABLE_TEXT = "Тіркеу нөмірі"
KAZAKH_HEADER_TEXT = "Орталық аппарат хаттамасы"
KAZAKH_FOOTER_TEXT = "Мұрағат көшірмесі"

RUSSIAN_TEXT = (
    "Первичная партийная организация провела собрание в Астане. "
    "Решение принято единогласно и направлено в областной филиал."
)

#: Big, clear words for the scanned samples; OCR tests look for them.
SCAN_LINES = ("ҚҰЖАТ ҚАУЛЫ", "ПАРТИЯ АСТАНА")
SCAN_WORDS = ("ҚҰЖАТ", "ҚАУЛЫ", "ПАРТИЯ", "АСТАНА")

SCAN_DPI = 150

#: Samples are the same bytes every time, so tests may compare hashes; except the
#: ODT and the encrypted PDF (odfpy declares every namespace it has met before,
#: and PDF encryption draws a random file ID).
FIXED_DATE = datetime.datetime(2025, 3, 1, 10, 0, tzinfo=datetime.UTC)


def font_available():
    return FONT_PATH.is_file()


def require_font():
    """Generated PDFs need DejaVu for Cyrillic: skip without it, fail in CI."""
    if font_available():
        return
    message = "fonts-dejavu-core is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def write(directory, name, data):
    """Save sample bytes under ``directory`` and return the path."""
    path = Path(directory) / name
    path.write_bytes(data)
    return path


# Text documents -------------------------------------------------------------


def _text_pdf():
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_font("DejaVu", fname=str(FONT_PATH))
    pdf.set_font("DejaVu", size=12)
    pdf.set_auto_page_break(auto=False)
    return pdf


def kazakh_pdf(pages=1, text=KAZAKH_TEXT):
    """A PDF with a real text layer; page ``n`` starts with ``Бет n``."""
    pdf = _text_pdf()
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Бет {number}\n{text}")
    return bytes(pdf.output())


def russian_pdf():
    return kazakh_pdf(text=RUSSIAN_TEXT)


def _fixed_zip(data):
    """Rewrite a ZIP with fixed member dates; order and compression are kept."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info))
    return buffer.getvalue()


def kazakh_docx():
    """A DOCX with its text spread over a paragraph, a table, a header and a footer."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = KAZAKH_HEADER_TEXT
    section.footer.paragraphs[0].text = KAZAKH_FOOTER_TEXT
    document.add_heading("Қаулы", level=1)
    document.add_paragraph(KAZAKH_TEXT)
    grid = document.add_table(rows=2, cols=2)
    grid.cell(0, 0).text = KAZAKH_TABLE_TEXT
    grid.cell(0, 1).text = "№ 01-12/345"
    grid.cell(1, 0).text = "Мерзімі"
    grid.cell(1, 1).text = "Жұма"
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


W_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
)
CONTENT_CONTROL_TEXT = "Бастауыш ұйым төрағасы"
TEXT_BOX_TEXT = "Мөр орны"
FOOTNOTE_TEXT = "Қосымша түсініктеме"


def letterhead_docx():
    """Where official templates hide text: a content control, a text box, a footnote.

    The text box is written the way Word writes it, twice: once for new
    readers (mc:Choice) and once as a legacy copy (mc:Fallback).
    """
    document = docx.Document()
    document.add_paragraph("Кіріспе")
    body = document.element.body
    body.insert(
        len(body) - 1,  # before the section properties
        parse_xml(
            f"<w:sdt {W_NS}><w:sdtContent><w:p><w:r><w:t>{CONTENT_CONTROL_TEXT}</w:t>"
            "</w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    text_box = f"<w:txbxContent><w:p><w:r><w:t>{TEXT_BOX_TEXT}</w:t></w:r></w:p></w:txbxContent>"
    body.insert(
        len(body) - 1,
        parse_xml(
            f"<w:p {W_NS}><w:r><mc:AlternateContent>"
            f'<mc:Choice Requires="wps"><w:drawing>{text_box}</w:drawing></mc:Choice>'
            f"<mc:Fallback><w:pict>{text_box}</w:pict></mc:Fallback>"
            "</mc:AlternateContent></w:r><w:r><w:t>Қолы</w:t></w:r></w:p>"
        ),
    )
    footnotes = Part(
        PackURI("/word/footnotes.xml"),
        CT.WML_FOOTNOTES,
        (
            f'<w:footnotes {W_NS}><w:footnote w:id="1"><w:p><w:r><w:t>{FOOTNOTE_TEXT}</w:t>'
            "</w:r></w:p></w:footnote></w:footnotes>"
        ).encode(),
        document.part.package,
    )
    document.part.relate_to(footnotes, RT.FOOTNOTES)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def kazakh_odt():
    """An ODT with a heading, a paragraph and a table cell."""
    document = OpenDocumentText()
    document.text.addElement(odf_text.H(outlinelevel=1, text="Қаулы"))
    document.text.addElement(odf_text.P(text=KAZAKH_TEXT))
    grid = odf_table.Table(name="Тізім")
    grid.addElement(odf_table.TableColumn(numbercolumnsrepeated=2))
    row = odf_table.TableRow()
    for value in (KAZAKH_TABLE_TEXT, "№ 01-12/345"):
        cell = odf_table.TableCell()
        cell.addElement(odf_text.P(text=value))
        row.addElement(cell)
    grid.addElement(row)
    document.text.addElement(grid)
    buffer = io.BytesIO()
    document.write(buffer)
    return _fixed_zip(buffer.getvalue())


def kazakh_txt(bom=False):
    data = f"{KAZAKH_TEXT}\n{RUSSIAN_TEXT}\n".encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


# Scans ----------------------------------------------------------------------


def scan_image(lines=SCAN_LINES):
    """Black text on white, drawn the size a 150 dpi scanner would see it."""
    font = ImageFont.truetype(str(FONT_PATH), 72)
    image = Image.new("L", (1100, 120 + 130 * len(lines)), color=255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((60, 60 + 130 * index), line, font=font, fill=0)
    return image


def a4_scan_image(text, font_size=25):
    """A whole A4 page of 12 pt prose at 150 dpi, for realistic OCR timings."""
    font = ImageFont.truetype(str(FONT_PATH), font_size)
    image = Image.new("L", (1240, 1754), color=255)
    draw = ImageDraw.Draw(image)
    margin, line_height = 120, int(font_size * 1.5)
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > image.width - 2 * margin:
            lines.append(line)
            candidate = word
        line = candidate
    lines.append(line)
    for index, line in enumerate(lines[: (image.height - 2 * margin) // line_height]):
        draw.text((margin, margin + index * line_height), line, font=font, fill=0)
    return image


def _image_bytes(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def scan_png():
    return _image_bytes(scan_image(), "PNG")


def scan_jpeg():
    return _image_bytes(scan_image().convert("RGB"), "JPEG", quality=90)


def scan_tiff(pages=1):
    """A TIFF scan; with ``pages`` > 1, one frame a page, as document scanners save them."""
    frames = [scan_image() for _ in range(pages)]
    return _image_bytes(
        frames[0],
        "TIFF",
        compression="tiff_lzw",
        dpi=(SCAN_DPI, SCAN_DPI),
        save_all=True,
        append_images=frames[1:],
    )


def scanned_pdf(pages=1, image=None):
    """A PDF whose pages are pictures only: no text layer at all, like a scanner's."""
    image = image or scan_image()
    width, height = (size * 72 / SCAN_DPI for size in image.size)
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_creation_date(FIXED_DATE)
    for _ in range(pages):
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=width, h=height)
    return bytes(pdf.output())


def mixed_pdf():
    """Page 1 has a text layer, page 2 is a scan."""
    writer = PdfWriter()
    for data in (kazakh_pdf(), scanned_pdf()):
        writer.append(PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_PASSWORD = "құпия"


def encrypted_pdf(password=PDF_PASSWORD):
    """Opens only with a user password. RC4 needs no crypto package."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(kazakh_pdf())))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def corrupt_pdf():
    """Has the %PDF header and nothing a reader can use after it."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


def truncated_pdf():
    data = kazakh_pdf(pages=3)
    return data[: len(data) // 3]


# Hostile uploads ------------------------------------------------------------

HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>\n'
)
SHELL_SCRIPT = b"#!/bin/sh\nrm -rf --no-preserve-root /\n"
XML = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>\n'
# The DOS header of a Windows program, with the "This program cannot be run" stub.
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + (
    b"\x00" * 48 + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
NOT_UTF8_TEXT = "Первичная организация".encode("cp1251")


def _zip(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return _fixed_zip(buffer.getvalue())


def plain_zip():
    return _zip({"readme.txt": "Бұл мұрағат.", "data/list.csv": "a,b\n1,2\n"})


def macro_docx():
    """A DOCX that carries a VBA project, the way a .docm does."""
    with zipfile.ZipFile(io.BytesIO(kazakh_docx())) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["word/vbaProject.bin"] = LEGACY_DOC
    return _zip(members)


def broken_zip():
    """Starts like a ZIP and has no central directory."""
    return kazakh_docx()[:400]


@functools.cache
def zip_bomb_docx(inflated_mb=300):
    """A DOCX that inflates a member of zeros to ``inflated_mb`` MiB.

    Written in streaming mode, so neither memory nor disk ever hold the
    inflated data; the result is a few hundred kilobytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with zipfile.ZipFile(io.BytesIO(kazakh_docx())) as source:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
        chunk = bytes(1024 * 1024)
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return buffer.getvalue()
