import hashlib
import io
import os

import pytest

from django.conf import settings as django_conf
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation

from docs_library.files.validation import (
    ALLOWED_TYPES,
    DOCX,
    ODT,
    PDF,
    UploadInfo,
    clean_filename,
    sha256_of,
    sniff,
    validate_file_field,
    validate_upload,
)
from tests.docs_library import samples

pytestmark = pytest.mark.skipif(
    not samples.font_available(), reason="fonts-dejavu-core is not installed"
)


@pytest.fixture(autouse=True)
def english():
    """The messages are compared with their English source text."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True, scope="module")
def translations():
    """Let lazy messages render when the suite runs without pytest-django."""
    if not django_conf.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        django_conf.configure(USE_I18N=False)


@pytest.fixture
def django_settings(request):
    """pytest-django's ``settings``; these tests need its automatic restore."""
    if not request.config.pluginmanager.hasplugin("django"):
        pytest.skip("needs pytest-django")
    return request.getfixturevalue("settings")


def refusal(data, filename, **kwargs):
    with pytest.raises(ValidationError) as caught:
        validate_upload(io.BytesIO(data), filename, **kwargs)
    return caught.value


def message(error):
    text = " ".join(error.messages)
    assert "%(" not in text, "message parameters were not filled in"
    return text


def data_of(sample):
    """Samples are given as bytes or as a function, so that collection stays cheap."""
    return sample() if callable(sample) else sample


HOSTILE = [
    # (sample, file name, code, what the message must say)
    pytest.param(
        samples.HTML, "Қаулы.pdf", "not_allowed", "HTML files cannot be uploaded", id="html-as-pdf"
    ),
    pytest.param(
        samples.HTML, "index.html", "not_allowed", "HTML files cannot be uploaded", id="html"
    ),
    pytest.param(
        b"\xef\xbb\xbf  <html><body>hi</body></html>",
        "note.txt",
        "not_allowed",
        "HTML files",
        id="html-with-bom-as-txt",
    ),
    pytest.param(
        b"Minutes\n<script>fetch('/admin')</script>",
        "minutes.txt",
        "not_allowed",
        "HTML files",
        id="script-tag-in-txt",
    ),
    pytest.param(samples.SVG, "logo.svg", "not_allowed", "SVG images cannot be uploaded", id="svg"),
    pytest.param(
        samples.SVG, "logo.png", "not_allowed", "SVG images cannot be uploaded", id="svg-as-png"
    ),
    pytest.param(
        samples.XML, "data.txt", "not_allowed", "XML files cannot be uploaded", id="xml-as-txt"
    ),
    pytest.param(
        samples.SHELL_SCRIPT,
        "readme.txt",
        "not_allowed",
        "Scripts cannot be uploaded",
        id="shell-script-as-txt",
    ),
    pytest.param(
        b"<?php system($_GET['c']); ?>",
        "photo.jpg",
        "not_allowed",
        "Scripts cannot be uploaded",
        id="php-as-jpg",
    ),
    pytest.param(
        samples.WINDOWS_EXE,
        "хаттама.pdf",
        "not_allowed",
        "Programs (.exe, .dll) cannot be uploaded",
        id="exe-as-pdf",
    ),
    pytest.param(samples.ELF, "report", "not_allowed", "Programs cannot be uploaded", id="elf"),
    pytest.param(
        samples.LEGACY_DOC, "old.doc", "not_allowed", "old-format Office file", id="legacy-doc"
    ),
    pytest.param(b"GIF89a" + bytes(40), "funny.gif", "not_allowed", "GIF image", id="gif"),
    pytest.param(
        bytes(range(256)),
        "blob.bin",
        "not_allowed",
        "This type of file cannot be uploaded",
        id="unknown-binary",
    ),
    pytest.param(b"", "empty.pdf", "empty", "The file is empty", id="empty"),
    pytest.param(
        lambda: samples.kazakh_pdf()[16:],
        "report.pdf",
        "corrupt",
        "not a readable PDF document",
        id="pdf-without-header",
    ),
    pytest.param(samples.NOT_UTF8_TEXT, "протокол.txt", "corrupt", "UTF-8", id="cp1251-txt"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        "scan.png",
        "corrupt",
        "image is damaged",
        id="damaged-png",
    ),
    pytest.param(
        samples.kazakh_pdf,
        "Қаулы.docx",
        "mismatch",
        "This file is a PDF document, but its name ends in .docx",
        id="pdf-as-docx",
    ),
    pytest.param(
        samples.kazakh_docx,
        "Қаулы.pdf",
        "mismatch",
        "a Word (DOCX) document, but its name ends in .pdf",
        id="docx-as-pdf",
    ),
    pytest.param(samples.scan_png, "scan.jpg", "mismatch", "Rename it to .png", id="png-as-jpg"),
    pytest.param(
        samples.plain_zip,
        "Қаулы.docx",
        "mismatch",
        "a ZIP archive, not a Word (DOCX) document",
        id="zip-as-docx",
    ),
    pytest.param(samples.broken_zip, "Қаулы.docx", "corrupt", "damaged", id="broken-zip"),
    pytest.param(samples.macro_docx, "Қаулы.docx", "not_allowed", "macros", id="macro-docx"),
    pytest.param(
        samples.zip_bomb_docx,
        "Қаулы.docx",
        "zip_bomb",
        "would unpack to 300",
        id="zip-bomb-size",
    ),
    pytest.param(
        lambda: samples.zip_bomb_docx(inflated_mb=20),
        "Қаулы.docx",
        "zip_bomb",
        "It may be a decompression bomb",
        id="zip-bomb-ratio",
    ),
]


@pytest.mark.parametrize(("sample", "filename", "code", "says"), HOSTILE)
def test_hostile_uploads_are_refused_with_a_reason(sample, filename, code, says):
    error = refusal(data_of(sample), filename)

    assert error.code == code
    assert says in message(error)


ALLOWED = [
    # (sample, file name, kind, stored name)
    (samples.kazakh_pdf, "Қаулы №5 Әкімдік.PDF", "pdf", "Қаулы №5 Әкімдік.pdf"),
    (samples.encrypted_pdf, "құпия.pdf", "pdf", "құпия.pdf"),
    (samples.scanned_pdf, "Scan 12.05.2024", "pdf", "Scan 12.05.2024.pdf"),
    (samples.kazakh_docx, "Хаттама.docx", "docx", "Хаттама.docx"),
    (samples.kazakh_odt, "Шешім.ODT", "odt", "Шешім.odt"),
    (samples.kazakh_txt, "есеп.txt", "txt", "есеп.txt"),
    (lambda: samples.kazakh_txt(bom=True), "есеп.txt", "txt", "есеп.txt"),
    (samples.scan_png, "скан.png", "png", "скан.png"),
    (samples.scan_jpeg, "скан.JPG", "jpeg", "скан.jpg"),
    (samples.scan_jpeg, "скан.jpeg", "jpeg", "скан.jpeg"),
    (samples.scan_tiff, "скан.tif", "tiff", "скан.tif"),
]


@pytest.mark.parametrize(
    ("sample", "filename", "kind", "clean_name"), ALLOWED, ids=[row[1] for row in ALLOWED]
)
def test_allowed_uploads_are_described(sample, filename, kind, clean_name):
    data = data_of(sample)
    fileobj = io.BytesIO(data)

    info = validate_upload(fileobj, filename)

    assert info == UploadInfo(
        mime=ALLOWED_TYPES[kind][0],
        kind=kind,
        extension=clean_name.rpartition(".")[2],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        clean_name=clean_name,
    )
    assert fileobj.tell() == 0, "the file must be left rewound for storage"


def test_upload_info_is_frozen():
    info = validate_upload(io.BytesIO(samples.kazakh_txt()), "a.txt")

    with pytest.raises(AttributeError):
        info.kind = "pdf"


def test_django_uploaded_file_is_validated_by_the_field_validator():
    validate_file_field(SimpleUploadedFile("Қаулы.pdf", samples.kazakh_pdf()))

    with pytest.raises(ValidationError) as caught:
        validate_file_field(SimpleUploadedFile("Қаулы.pdf", samples.HTML, "application/pdf"))
    assert caught.value.code == "not_allowed"


def test_size_limit_from_the_argument():
    error = refusal(samples.kazakh_pdf(), "big.pdf", max_size=1000)

    assert error.code == "too_large"
    # A seekable file is measured without being read, so the message names its size.
    assert f"The file is {filesizeformat(len(samples.kazakh_pdf()))}, larger than the limit of" in (
        message(error)
    )


def test_declared_size_is_refused_before_reading():
    class HugeUpload(io.BytesIO):
        size = 10**12

        def read(self, *args):
            raise AssertionError("a declared oversize upload must not be read")

    with pytest.raises(ValidationError) as caught:
        validate_upload(HugeUpload(), "big.pdf")
    assert caught.value.code == "too_large"
    assert "The file is 931.3\xa0GB, larger than the limit of 50.0\xa0MB" in message(caught.value)


def test_size_limit_from_settings(django_settings):
    django_settings.SANDYQ_MAX_UPLOAD_SIZE = 1000

    assert refusal(samples.kazakh_pdf(), "big.pdf").code == "too_large"


def test_uncompressed_size_limit_from_settings(django_settings):
    django_settings.SANDYQ_MAX_UNCOMPRESSED_SIZE = 10_000

    error = refusal(samples.kazakh_docx(), "Хаттама.docx")

    assert error.code == "zip_bomb"
    assert "unpack to" in message(error)


def test_member_count_limit_from_settings(django_settings):
    django_settings.SANDYQ_MAX_ZIP_MEMBERS = 3

    assert refusal(samples.kazakh_docx(), "Хаттама.docx").code == "zip_bomb"


def test_image_pixel_limit_from_settings(django_settings):
    django_settings.SANDYQ_MAX_IMAGE_PIXELS = 1000

    assert refusal(samples.scan_png(), "скан.png").code == "too_large"


@pytest.mark.parametrize(
    ("sample", "mime"),
    [
        (samples.kazakh_pdf, PDF),
        (b"\r\n%PDF-1.4 with a little junk before the header", PDF),
        (samples.kazakh_docx, DOCX),
        (samples.kazakh_odt, ODT),
        (lambda: samples.kazakh_txt(bom=True), "text/plain"),
        (samples.scan_tiff, "image/tiff"),
        (samples.HTML, "text/html"),
        (b"<html><p>%PDF-1.4</p></html>", "text/html"),
        (samples.plain_zip, "application/zip"),
        (samples.NOT_UTF8_TEXT, None),
        (b"text\x00with NUL", None),
    ],
)
def test_sniff_reads_content_not_names(sample, mime):
    assert sniff(data_of(sample), "misleading.docx") == mime


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("Қаулы №5 Әкімдік.PDF", "Қаулы №5 Әкімдік.pdf"),
        ("әғқңөұүһі ӘҒҚҢӨҰҮҺІ.docx", "әғқңөұүһі ӘҒҚҢӨҰҮҺІ.docx"),
        ("Протокол собрания.odt", "Протокол собрания.odt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Асель\\Хаттама.docx", "Хаттама.docx"),
        ("evil\x00name\r\n.pdf", "evil name.pdf"),
        ("tab\tand   spaces  .txt", "tab and spaces.txt"),
        ("...hidden.txt", "hidden.txt"),
        ("report\u202egpj.exe", "reportgpj.exe"),
        ('a<b>c:d"e|f?g*h#i%j.pdf', "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("CON.txt", "CON_.txt"),
        ("Хаттама 12.05.2024", "Хаттама 12.05.2024"),
        ("\u0418\u0306.txt", "\u0419.txt"),  # И + combining breve is Й
        ("", "document"),
        ("  ..  ", "document"),
        ("/", "document"),
        ("\x01\x02.pdf", "document.pdf"),
        (".pdf", "document.pdf"),
    ],
)
def test_clean_filename(name, clean):
    assert clean_filename(name) == clean


@pytest.mark.parametrize("letter", ["a", "Қ"])
def test_clean_filename_caps_length_and_keeps_extension(letter):
    clean = clean_filename(letter * 300 + ".docx")

    assert len(clean) == 100
    assert clean == letter * 95 + ".docx"


def test_sha256_of_reads_from_the_start_and_rewinds():
    data = samples.kazakh_pdf()
    fileobj = io.BytesIO(data)
    fileobj.seek(10)

    assert sha256_of(fileobj) == hashlib.sha256(data).hexdigest()
    assert fileobj.tell() == 0
