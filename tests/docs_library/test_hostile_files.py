"""Files built to exhaust the worker end as clear states, and the worker stays small.

The hostile inputs are generated here, a few MB at most on disk, from
streams of zeros that inflate to hundreds of MB or a gigabyte.
"""

import io
import struct
import zipfile
import zlib

import pytest

from django.test import override_settings
from django.utils import translation

from docs_library.files.extraction import DONE, FAILED, extract_text
from docs_library.files.tasks import extract_document
from docs_library.files.validation import ALLOWED_TYPES, validate_upload
from docs_library.models import ExtractionStatus, LibraryDocument
from tests.docs_library import samples
from tests.factories import library_document

PDF = ALLOWED_TYPES["pdf"][0]
DOCX = ALLOWED_TYPES["docx"][0]

MB = 1024 * 1024
#: How much the test process itself may grow while a hostile file is read.
WORKER_GROWTH_LIMIT = 100 * MB


def _zeros_deflated(total, *, raw=True, chunk=16 * MB):
    """``total`` bytes of zeros, deflated in chunks so they never sit in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    zeros = bytes(chunk)
    parts = [compressor.compress(zeros) for _ in range(total // chunk)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _zip(members):
    """A ZIP from (name, raw deflate data, declared size, declared CRC), as given."""
    body, directory = bytearray(), bytearray()
    for name, data, size, crc in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
        )
        body += encoded + data
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def lying_docx(bomb_size=320 * MB):
    """A real DOCX whose document.xml inflates to ``bomb_size`` more bytes than declared.

    The directory gives the size and CRC of the real XML, which is all
    zipfile hands on after inflating the whole member; without a streaming
    check python-docx reads the document happily, after inflating every zero.
    """
    members = []
    with zipfile.ZipFile(io.BytesIO(samples.kazakh_docx())) as archive:
        for info in archive.infolist():
            content = archive.read(info)
            compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            if info.filename == "word/document.xml":
                data = compressor.compress(content)
                zeros = bytes(16 * MB)
                for _ in range(bomb_size // len(zeros)):
                    data += compressor.compress(zeros)
            else:
                data = compressor.compress(content)
            data += compressor.flush()
            members.append((info.filename, data, len(content), zlib.crc32(content)))
    return _zip(members)


def flate_bomb_pdf(size=1024 * MB):
    """A one-page PDF whose content stream inflates to ``size`` bytes of zeros."""
    stream = _zeros_deflated(size, raw=False)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


@pytest.fixture(scope="module")
def pdf_bomb():
    return flate_bomb_pdf()


def _status(field):
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(field.encode() + b":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/self/status")


class PeakMemory:
    """How far this process's resident memory rose above where it started."""

    def __enter__(self):
        # Writing 5 to clear_refs resets VmHWM (the peak) to the current RSS.
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        self.start = _status("VmRSS")
        return self

    def __exit__(self, *exc):
        self.growth = _status("VmHWM") - self.start


def test_lying_zip_sizes_pass_upload_checks_but_are_refused_when_read(tmp_path):
    data = lying_docx()
    assert len(data) < 2 * MB
    validate_upload(io.BytesIO(data), "хаттама.docx")  # what the directory says is fine
    path = samples.write(tmp_path, "хаттама.docx", data)

    with PeakMemory() as worker, translation.override("en"):
        result = extract_text(path, DOCX)

    assert result.status == FAILED
    assert "word/document.xml" in result.error
    assert "more than the" in result.error and "decompression bomb" in result.error
    assert result.reason == "too_large"  # what editors are told, in their language
    assert result.text == ""
    assert worker.growth < WORKER_GROWTH_LIMIT, worker.growth
    # Stopped as soon as the member outgrew its declared size: the child's
    # peak is the pages it shares with this process and little more.
    assert result.peak_memory < worker.start + 50 * MB, result.peak_memory


def test_honest_zip_sizes_are_read(tmp_path):
    path = samples.write(tmp_path, "хаттама.docx", samples.kazakh_docx())

    result = extract_text(path, DOCX)

    assert result.status == DONE
    assert samples.KAZAKH_WORDS[0] in result.text


def test_zip_members_over_the_total_limit_are_refused(tmp_path):
    path = samples.write(tmp_path, "хаттама.docx", samples.kazakh_docx())

    with override_settings(SANDYQ_MAX_UNCOMPRESSED_SIZE=1000), translation.override("en"):
        result = extract_text(path, DOCX)

    assert result.status == FAILED
    assert "more than the limit of" in result.error


@override_settings(SANDYQ_EXTRACTION_MEMORY_LIMIT=256 * MB)
def test_pdf_flate_bomb_stops_at_the_childs_memory_limit(tmp_path, pdf_bomb):
    assert len(pdf_bomb) < 3 * MB
    path = samples.write(tmp_path, "бомба.pdf", pdf_bomb)

    with PeakMemory() as worker, translation.override("en"):
        result = extract_text(path, PDF, preview_width=600)

    assert result.status == FAILED
    assert "needs more memory than the limit of 256.0 MB" in result.error.replace("\xa0", " ")
    assert result.reason == "memory_limit"
    assert (result.text, result.preview) == ("", None)
    assert worker.growth < WORKER_GROWTH_LIMIT, worker.growth


def test_a_normal_pdf_is_read_in_the_child(tmp_path):
    path = samples.write(tmp_path, "қаулы.pdf", samples.kazakh_pdf(pages=3))

    result = extract_text(path, PDF, preview_width=300)

    assert result.status == DONE
    assert samples.KAZAKH_WORDS[0] in result.text
    assert result.preview.startswith(b"\x89PNG")
    assert result.peak_memory > 0


@pytest.mark.django_db
@override_settings(SANDYQ_EXTRACTION_MEMORY_LIMIT=256 * MB)
def test_a_bomb_on_a_record_ends_as_failed_and_leaves_the_file_alone(pdf_bomb):
    with translation.override("kk"):
        document = library_document(pdf_bomb, "бомба.pdf")
    document.refresh_from_db()
    stored = document.file.name

    assert document.extraction_status == ExtractionStatus.FAILED
    # The reason is in the language of whoever started the extraction.
    assert "256.0 МБ" in document.extraction_error.replace("\xa0", " ")
    assert "memory" not in document.extraction_error
    assert document.file.storage.exists(stored)
    with document.file.open("rb") as handle:
        assert handle.read() == pdf_bomb
    assert document.versions.count() == 0

    # The retry path reads it again under other limits, in the worker's language.
    with override_settings(SANDYQ_EXTRACTION_MEMORY_LIMIT=128 * MB):
        extract_document(LibraryDocument.objects.get(pk=document.pk))
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.FAILED
    assert "128.0 МБ" in document.extraction_error.replace("\xa0", " ")
    assert document.file.name == stored


def test_a_child_that_overruns_the_time_limit_is_killed(tmp_path, monkeypatch):
    from docs_library.files import extraction

    monkeypatch.setattr(extraction, "KILL_GRACE_SECONDS", 0.2)
    monkeypatch.setattr(extraction, "_extract_txt", lambda path: extraction.time.sleep(30))
    path = samples.write(tmp_path, "есеп.txt", samples.kazakh_txt())

    with translation.override("en"):
        result = extract_text(path, ALLOWED_TYPES["txt"][0], timeout=0.1)

    assert result.status == FAILED
    assert "time limit of 0.1 s" in result.error
    assert result.reason == "time_limit"


# DOCTYPEs in office XML ---------------------------------------------------


def _with_doctype(data, part, declaration, *, replace=None):
    """``data`` (a DOCX or ODT) with ``declaration`` after the XML declaration of ``part``.

    ``replace`` is an (old, new) pair of text to change in that part too.
    """
    copy = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                if replace:
                    content = content.replace(replace[0].encode(), replace[1].encode())
                head, end, rest = content.partition(b"?>")
                content = head + end + declaration.encode() + rest
            target.writestr(info, content)
    return copy.getvalue()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("ҚҰПИЯ-7f3a")
    return path


@pytest.mark.parametrize(
    ("mime", "sample", "part", "root"),
    [
        (ALLOWED_TYPES["odt"][0], samples.kazakh_odt, "content.xml", "office:document-content"),
        (DOCX, samples.kazakh_docx, "word/document.xml", "w:document"),
    ],
)
@pytest.mark.parametrize("kind", ["plain", "internal", "external"])
def test_office_xml_with_a_doctype_keeps_its_text(tmp_path, secret, mime, sample, part, root, kind):
    entities = {
        "plain": "",
        "internal": ' [<!ENTITY org "Орталық">]',
        "external": f' [<!ENTITY secret SYSTEM "{secret.as_uri()}">]',
    }[kind]
    data = _with_doctype(sample(), part, f"<!DOCTYPE {root}{entities}>")
    path = samples.write(tmp_path, "шешім" + (".odt" if "opendocument" in mime else ".docx"), data)

    result = extract_text(path, mime)

    assert (result.status, result.error) == (DONE, "")
    for word in samples.KAZAKH_WORDS:
        assert word in result.text
    assert "ҚҰПИЯ" not in result.text


def test_entity_references_in_odt_text_are_dropped_not_expanded(tmp_path, secret):
    declaration = (
        f'<!DOCTYPE office:document-content [<!ENTITY secret SYSTEM "{secret.as_uri()}">'
        '<!ENTITY org "Орталық">]>'
    )
    data = _with_doctype(
        samples.kazakh_odt(),
        "content.xml",
        declaration,
        replace=(samples.KAZAKH_TEXT, f"{samples.KAZAKH_TEXT} &secret;&org; Соңы."),
    )
    path = samples.write(tmp_path, "шешім.odt", data)

    result = extract_text(path, ALLOWED_TYPES["odt"][0])

    assert (result.status, result.error) == (DONE, "")
    assert f"{samples.KAZAKH_TEXT}  Соңы." in result.text
    assert "ҚҰПИЯ" not in result.text
    assert "Орталық" not in result.text.split("\n")[1]


def test_a_memory_error_in_python_code_is_the_memory_limit(tmp_path, monkeypatch):
    from docs_library.files import extraction

    monkeypatch.setattr(extraction, "_extract_txt", lambda path: bytearray(4 * 1024 * MB))
    path = samples.write(tmp_path, "есеп.txt", samples.kazakh_txt())

    with translation.override("en"):
        result = extract_text(path, ALLOWED_TYPES["txt"][0], memory_limit=256 * MB)

    assert result.status == FAILED
    assert "needs more memory than the limit of 256.0" in result.error


def test_a_crash_that_is_not_about_memory_says_so(tmp_path, monkeypatch):
    from docs_library.files import extraction

    monkeypatch.setattr(extraction, "_extract_txt", lambda path: extraction.os.abort())
    path = samples.write(tmp_path, "есеп.txt", samples.kazakh_txt())

    with translation.override("en"):
        result = extract_text(path, ALLOWED_TYPES["txt"][0])

    assert result.status == FAILED
    assert "stopped unexpectedly" in result.error
