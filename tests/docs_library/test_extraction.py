import hashlib
import io
import os
import shutil

import pytesseract
import pytest
from PIL import Image

from docs_library.files import extraction
from docs_library.files.extraction import (
    DONE,
    ENCRYPTED,
    FAILED,
    OCR,
    detect_language,
    extract_text,
    render_preview,
    sha256_of,
)
from docs_library.files.validation import ALLOWED_TYPES
from tests.docs_library import samples

pytestmark = pytest.mark.skipif(
    not samples.font_available(), reason="fonts-dejavu-core is not installed"
)

PDF = ALLOWED_TYPES["pdf"][0]
DOCX = ALLOWED_TYPES["docx"][0]
ODT = ALLOWED_TYPES["odt"][0]
TXT = ALLOWED_TYPES["txt"][0]


@pytest.fixture
def tesseract():
    """OCR tests need Tesseract with its Kazakh and Russian models.

    Skipped on a developer's machine without them; in CI a missing
    Tesseract must fail the build, not quietly skip the OCR tests.
    """
    missing = ""
    if shutil.which("tesseract") is None:
        missing = "tesseract-ocr is not installed"
    elif not {"kaz", "rus"} <= set(pytesseract.get_languages()):
        missing = "tesseract-ocr-kaz or tesseract-ocr-rus is not installed"
    if missing and os.environ.get("CI"):
        pytest.fail(f"{missing}; CI must install it")
    if missing:
        pytest.skip(f"{missing}; .ci/run installs it")


@pytest.fixture
def sample(tmp_path):
    """Write a sample to a file, as extraction only ever sees stored files."""

    def write(name, data):
        return samples.write(tmp_path, name, data)

    return write


def found_scan_words(text):
    return [word for word in samples.SCAN_WORDS if word in text.upper()]


# Text layers ----------------------------------------------------------------


def test_pdf_text_keeps_kazakh_letters(sample):
    result = extract_text(sample("қаулы.pdf", samples.kazakh_pdf()), PDF)

    assert (result.status, result.error, result.page_count) == (DONE, "", 1)
    for word in samples.KAZAKH_WORDS:
        assert word in result.text
    assert result.language == "kk"


def test_pdf_pages_are_separated_by_form_feeds(sample):
    result = extract_text(sample("хаттама.pdf", samples.kazakh_pdf(pages=3)), PDF)

    assert result.page_count == 3
    pages = result.text.split("\f")
    assert [page.splitlines()[0] for page in pages] == ["Бет 1", "Бет 2", "Бет 3"]


def test_russian_pdf_is_russian(sample):
    result = extract_text(sample("решение.pdf", samples.russian_pdf()), PDF)

    assert result.status == DONE
    assert "единогласно" in result.text
    assert result.language == "ru"


def test_docx_text_includes_tables_headers_and_footers(sample):
    result = extract_text(sample("хаттама.docx", samples.kazakh_docx()), DOCX)

    assert (result.status, result.error, result.page_count) == (DONE, "", None)
    for text in (
        samples.KAZAKH_TEXT,
        samples.KAZAKH_TABLE_TEXT,
        "№ 01-12/345",
        samples.KAZAKH_HEADER_TEXT,
        samples.KAZAKH_FOOTER_TEXT,
    ):
        assert text in result.text
    assert result.text.count(samples.KAZAKH_HEADER_TEXT) == 1
    assert result.language == "kk"


def test_docx_text_in_content_controls_text_boxes_and_footnotes(sample):
    result = extract_text(sample("бланк.docx", samples.letterhead_docx()), DOCX)

    assert result.status == DONE
    assert result.text.splitlines() == [
        "Кіріспе",
        samples.CONTENT_CONTROL_TEXT,
        "Қолы",
        samples.TEXT_BOX_TEXT,  # once: Word's legacy copy of the text box is skipped
        samples.FOOTNOTE_TEXT,
    ]


def test_odt_text_includes_headings_and_tables(sample):
    result = extract_text(sample("шешім.odt", samples.kazakh_odt()), ODT)

    assert (result.status, result.error, result.page_count) == (DONE, "", None)
    assert result.text.splitlines() == [
        "Қаулы",
        samples.KAZAKH_TEXT,
        samples.KAZAKH_TABLE_TEXT,
        "№ 01-12/345",
    ]
    assert result.language == "kk"


def test_text_file_with_bom(sample):
    result = extract_text(sample("есеп.txt", samples.kazakh_txt(bom=True)), TXT)

    assert result.status == DONE
    assert result.text.startswith(samples.KAZAKH_TEXT)
    assert result.language == "kk"


def test_nul_characters_are_dropped(sample):
    """PostgreSQL cannot store NUL in a text column."""
    result = extract_text(sample("nul.txt", b"\xd2\x9b\x00\xd2\x9b"), TXT)

    assert result.text == "ққ"


# Files that cannot be read --------------------------------------------------


def test_encrypted_pdf(sample):
    result = extract_text(sample("құпия.pdf", samples.encrypted_pdf()), PDF)

    assert result.status == ENCRYPTED
    assert result.text == ""
    assert "password" in result.error


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("corrupt.pdf", samples.corrupt_pdf, PDF),
        ("truncated.pdf", samples.truncated_pdf, PDF),
        ("html.pdf", lambda: samples.HTML, PDF),
        ("broken.docx", samples.broken_zip, DOCX),
        ("zip.docx", samples.plain_zip, DOCX),
        ("pdf.odt", samples.kazakh_pdf, ODT),
        ("cp1251.txt", lambda: samples.NOT_UTF8_TEXT, TXT),
        ("text.png", samples.kazakh_txt, "image/png"),
        ("archive.zip", samples.plain_zip, "application/zip"),
    ],
)
def test_unreadable_files_fail_without_raising(sample, name, data, mime):
    result = extract_text(sample(name, data()), mime)

    assert result.status == FAILED
    assert result.error


def test_missing_file_fails_without_raising(tmp_path):
    result = extract_text(tmp_path / "gone.pdf", PDF)

    assert result.status == FAILED
    assert result.error


def test_time_limit_keeps_the_pages_read_so_far(sample):
    # The budget is checked between pages, so the first page is always read.
    result = extract_text(sample("ұзақ.pdf", samples.kazakh_pdf(pages=3)), PDF, timeout=1e-9)

    assert result.status == FAILED
    assert "time limit" in result.error
    assert "after 1 of 3 page(s)" in result.error
    assert "Бет 1" in result.text
    assert "Бет 3" not in result.text
    assert result.page_count == 3


def test_missing_tesseract_keeps_the_text_layer(sample, monkeypatch, tmp_path):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))

    result = extract_text(sample("аралас.pdf", samples.mixed_pdf()), PDF)

    assert result.status == FAILED
    assert "OCR is unavailable" in result.error
    assert "1 page(s) without a text layer were not read" in result.error
    assert samples.KAZAKH_WORDS[0] in result.text
    assert result.page_count == 2


def test_no_ocr_when_the_limit_is_zero(sample, monkeypatch):
    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR must not run")

    monkeypatch.setattr(pytesseract, "image_to_string", no_ocr)

    result = extract_text(sample("скан.pdf", samples.scanned_pdf(pages=2)), PDF, max_ocr_pages=0)

    assert result.status == DONE
    assert result.text == ""
    assert "limit of 0 page(s): 2 page(s)" in result.error


# OCR ------------------------------------------------------------------------


@pytest.mark.usefixtures("tesseract")
def test_scanned_pdf_is_read_by_ocr(sample):
    result = extract_text(sample("скан.pdf", samples.scanned_pdf()), PDF)

    assert result.status == OCR
    assert result.error == ""
    assert result.page_count == 1
    assert len(found_scan_words(result.text)) >= 3, result.text
    assert result.language == "kk"


@pytest.mark.usefixtures("tesseract")
def test_ocr_fills_only_the_pages_without_text(sample):
    result = extract_text(sample("аралас.pdf", samples.mixed_pdf()), PDF)

    assert result.status == OCR
    text_page, scanned_page = result.text.split("\f")
    assert samples.KAZAKH_WORDS[0] in text_page
    assert len(found_scan_words(scanned_page)) >= 3, scanned_page


@pytest.mark.usefixtures("tesseract")
def test_ocr_page_limit(sample):
    result = extract_text(sample("скан.pdf", samples.scanned_pdf(pages=3)), PDF, max_ocr_pages=1)

    assert result.status == OCR
    assert result.page_count == 3
    assert "limit of 1 page(s): 2 page(s) without a text layer were not read" in result.error
    assert sum(len(found_scan_words(page)) >= 3 for page in result.text.split("\f")) == 1


@pytest.mark.usefixtures("tesseract")
@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("скан.png", samples.scan_png, "png"),
        ("скан.jpg", samples.scan_jpeg, "jpeg"),
        ("скан.tif", samples.scan_tiff, "tiff"),
    ],
)
def test_images_are_read_by_ocr(sample, name, data, kind):
    result = extract_text(sample(name, data()), ALLOWED_TYPES[kind][0])

    assert result.status == OCR
    assert result.page_count == 1
    assert len(found_scan_words(result.text)) >= 3, result.text


@pytest.mark.usefixtures("tesseract")
def test_multi_page_tiff_respects_the_ocr_page_limit(sample):
    result = extract_text(
        sample("скан.tif", samples.scan_tiff(pages=2)), "image/tiff", max_ocr_pages=1
    )

    assert result.status == OCR
    assert result.page_count == 2
    assert "1 page(s) without a text layer were not read" in result.error
    assert len(found_scan_words(result.text)) >= 3, result.text


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_bombs_are_not_decoded(sample, monkeypatch):
    path = sample("скан.png", samples.scan_png())
    # Between Pillow's warning and its own refusal at twice the limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300_000)

    result = extract_text(path, "image/png")

    assert result.status == FAILED
    assert "pixels" in result.error
    assert render_preview(path, "image/png") is None


# Language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", ""),
        ("  12 345 — № 01-12/345  ", ""),
        (samples.KAZAKH_TEXT, "kk"),
        ("ҚҰЖАТ ҚАУЛЫ ПАРТИЯ АСТАНА", "kk"),
        (samples.RUSSIAN_TEXT, "ru"),
        (f"{samples.RUSSIAN_TEXT} Встреча прошла в Қарағанды.", "ru"),
        ("The party moves its circulars from paper to electronic documents.", "en"),
        (f"{samples.KAZAKH_TEXT} PDF DOCX", "kk"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


# Previews -------------------------------------------------------------------


@pytest.mark.parametrize("width", [600, 240])
def test_pdf_preview_is_the_first_page_at_the_asked_width(sample, width):
    image = render_preview(sample("қаулы.pdf", samples.kazakh_pdf(pages=2)), PDF, width=width)

    assert image.width == width
    assert image.height == pytest.approx(width * 297 / 210, abs=2)  # A4
    assert image.mode == "RGB"
    darkest, lightest = image.convert("L").getextrema()
    assert darkest < 100 < lightest, "the page's text must be drawn"


def test_image_preview_is_thumbnailed(sample):
    image = render_preview(sample("скан.png", samples.scan_png()), "image/png", width=300)

    assert image.width == 300
    assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("құпия.pdf", samples.encrypted_pdf, PDF),
        ("corrupt.pdf", samples.corrupt_pdf, PDF),
        ("хаттама.docx", samples.kazakh_docx, DOCX),
        ("есеп.txt", samples.kazakh_txt, TXT),
    ],
)
def test_no_preview(sample, name, data, mime):
    assert render_preview(sample(name, data()), mime) is None


def test_sha256_of_is_shared_with_validation():
    data = samples.kazakh_pdf()

    assert sha256_of(io.BytesIO(data)) == hashlib.sha256(data).hexdigest()
    assert "sha256_of" in extraction.__all__
