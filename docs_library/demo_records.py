"""The demo's records with generated files, and its people: shared by the demo of
documents (``demo``) and of circulation (``demo_circulation``).

Files are generated here, not shipped: PDFs with a Cyrillic font (DejaVu Sans,
kept beside this module so a machine without system fonts can run the demo),
a DOCX, and one scanned PDF with no text layer so OCR has something to read.
"""

import datetime
import io
import textwrap
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils.text import slugify

from home import roles

from .models import DocumentLibraryPage, DocumentPage, LibraryDocument

FONT = Path(__file__).resolve().parent / "demo_data" / "fonts" / "DejaVuSans.ttf"


def _pdf(title: str, paragraphs: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("DejaVu", size=15)
    pdf.multi_cell(0, 8, title)
    pdf.ln(4)
    pdf.set_font("DejaVu", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(2)
    return bytes(pdf.output())


def _docx(title: str, paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _scan(title: str, paragraphs: list[str]) -> bytes:
    """A page image with no text layer, as a scanner would produce."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    heading = ImageFont.truetype(str(FONT), 40)
    body = ImageFont.truetype(str(FONT), 30)
    y = 120
    for line in textwrap.wrap(title.upper(), 40):
        draw.text((100, y), line, font=heading, fill=0)
        y += 60
    for paragraph in paragraphs:
        y += 30
        for line in textwrap.wrap(paragraph, 60):
            draw.text((100, y), line, font=body, fill=0)
            y += 45
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=150)
    return buffer.getvalue()


MAKERS = {"pdf": (_pdf, "pdf"), "docx": (_docx, "docx"), "scan": (_scan, "pdf")}


def _library(parent, title: str, access: str) -> tuple[DocumentLibraryPage, int]:
    slug = slugify(title, allow_unicode=True)
    existing = DocumentLibraryPage.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing, 0
    library = DocumentLibraryPage(
        title=title, slug=slug, default_access_level=access, intro="<p>Ұйымның құжаттары.</p>"
    )
    parent.add_child(instance=library)
    return library, 1


def _record(library, number: int, spec, names: dict[str, str], *, live: bool = True) -> int:
    document_type, language, access, title, summary, paragraphs, kind = spec
    title = title.format(**names)
    slug = slugify(title, allow_unicode=True)[:80]
    if DocumentPage.objects.child_of(library).filter(slug=slug).exists():
        return 0
    maker, extension = MAKERS[kind]
    data = maker(title, paragraphs)
    file = ContentFile(data, name=f"{title[:60]}.{extension}")
    document = LibraryDocument.from_upload(
        file, title=title, collection=roles.collection_for(library)
    )
    record = DocumentPage(
        title=title,
        slug=slug,
        document_type=document_type,
        language=language,
        access_level=access,
        summary=summary,
        body="".join(f"<p>{paragraph}</p>" for paragraph in paragraphs),
        document_date=datetime.date(2026, 1, 10) + datetime.timedelta(days=9 * number),
        main_file=document,
        live=live,
    )
    library.add_child(instance=record)
    revision = record.save_revision()
    if live:
        revision.publish()
    return 2


def _demo_person(username, first_name="", last_name="", password=None):
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@example.kz",
        },
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()  # stands for a secretary; never signs in
        user.save()
    return user, created
