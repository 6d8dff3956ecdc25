"""Upload safety: what a file is, judged from its bytes, before it is stored.

Documents are served back to the public, so a file's name and the browser's
Content-Type are claims, not facts. Everything here looks at the content, and
only at cheap, bounded parts of it (magic bytes, a ZIP's central directory, an
image's header), because it runs inside the upload request. Parsing the whole
document is the extractor's job, in a background task.

Nothing here needs configured Django settings: limits fall back to defaults,
so the benchmark and plain scripts can use it too.
"""

import codecs
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_UPLOAD_SIZE = 50 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_SIZE = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 100
DEFAULT_MAX_ZIP_MEMBERS = 2000
#: Below this much inflated data a high ratio cannot hurt (a short DOCX of
#: repetitive XML easily compresses 30:1), so the ratio is not checked.
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_FILENAME_LENGTH = 100
FALLBACK_FILENAME = "document"

CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 8 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"

#: kind -> (MIME type, file name extensions without the dot, as Wagtail spells them)
ALLOWED_TYPES = MappingProxyType(
    {
        "pdf": (PDF, ("pdf",)),
        "docx": (DOCX, ("docx",)),
        "odt": (ODT, ("odt",)),
        "txt": (TEXT, ("txt",)),
        "png": ("image/png", ("png",)),
        "jpeg": ("image/jpeg", ("jpg", "jpeg")),
        "tiff": ("image/tiff", ("tif", "tiff")),
    }
)
KIND_BY_MIME = MappingProxyType({mime: kind for kind, (mime, _exts) in ALLOWED_TYPES.items()})
KIND_BY_EXTENSION = MappingProxyType(
    {ext: kind for kind, (_mime, exts) in ALLOWED_TYPES.items() for ext in exts}
)
IMAGE_KINDS = frozenset({"png", "jpeg", "tiff"})
ZIP_KINDS = frozenset({"docx", "odt"})

HTML = "text/html"
SVG = "image/svg+xml"
XML = "application/xml"
SHELL_SCRIPT = "text/x-shellscript"
PHP = "application/x-httpd-php"
WINDOWS_EXECUTABLE = "application/vnd.microsoft.portable-executable"
ELF_EXECUTABLE = "application/x-executable"
MACH_EXECUTABLE = "application/x-mach-binary"
WASM = "application/wasm"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
ZIP = "application/zip"
OLE = "application/x-ole-storage"

#: Content that is refused whatever it is called, because a browser or an
#: office suite would run it.
DANGEROUS = MappingProxyType(
    {
        HTML: _("HTML files cannot be uploaded."),
        SVG: _("SVG images cannot be uploaded: they can carry scripts."),
        XML: _("XML files cannot be uploaded."),
        SHELL_SCRIPT: _("Scripts cannot be uploaded."),
        PHP: _("Scripts cannot be uploaded."),
        WINDOWS_EXECUTABLE: _("Programs (.exe, .dll) cannot be uploaded."),
        ELF_EXECUTABLE: _("Programs cannot be uploaded."),
        MACH_EXECUTABLE: _("Programs cannot be uploaded."),
        WASM: _("Programs cannot be uploaded."),
        DOCM: _(
            "Word documents with macros cannot be uploaded. Save the document as .docx "
            "without macros, or as PDF."
        ),
    }
)

#: How messages name a file that is recognised but not accepted.
DESCRIPTIONS = MappingProxyType(
    {
        PDF: _("a PDF document"),
        DOCX: _("a Word (DOCX) document"),
        ODT: _("an OpenDocument text (ODT) document"),
        TEXT: _("a plain text file"),
        "image/png": _("a PNG image"),
        "image/jpeg": _("a JPEG image"),
        "image/tiff": _("a TIFF image"),
        ZIP: _("a ZIP archive"),
        OLE: _("an old-format Office file (.doc, .xls) or a password-protected Office file"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _(
            "an Excel spreadsheet"
        ),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": _(
            "a PowerPoint presentation"
        ),
        "application/vnd.oasis.opendocument.spreadsheet": _("an OpenDocument spreadsheet"),
        "application/vnd.oasis.opendocument.presentation": _("an OpenDocument presentation"),
        "image/gif": _("a GIF image"),
        "image/webp": _("a WebP image"),
        "application/rtf": _("an RTF document"),
        "application/postscript": _("a PostScript file"),
        "application/gzip": _("a gzip archive"),
        "application/vnd.rar": _("a RAR archive"),
        "application/x-7z-compressed": _("a 7-Zip archive"),
    }
)

KIND_NAMES = MappingProxyType(
    {
        "pdf": _("PDF document"),
        "docx": _("Word (DOCX) document"),
        "odt": _("OpenDocument text (ODT) document"),
        "txt": _("text file"),
        "png": _("PNG image"),
        "jpeg": _("JPEG image"),
        "tiff": _("TIFF image"),
    }
)

ALLOWED_LIST = "PDF, DOCX, ODT, TXT, PNG, JPEG, TIFF"

# (magic bytes, MIME type), tried in order on the start of the file.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),
    (b"MM\x00+", "image/tiff"),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"MZ", WINDOWS_EXECUTABLE),
    (b"\x7fELF", ELF_EXECUTABLE),
    (b"\xfe\xed\xfa\xce", MACH_EXECUTABLE),
    (b"\xfe\xed\xfa\xcf", MACH_EXECUTABLE),
    (b"\xce\xfa\xed\xfe", MACH_EXECUTABLE),
    (b"\xcf\xfa\xed\xfe", MACH_EXECUTABLE),
    (b"\xca\xfe\xba\xbe", MACH_EXECUTABLE),  # also a Java class file
    (b"\x00asm", WASM),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x1f\x8b", "application/gzip"),
    (b"{\\rtf", "application/rtf"),
    (b"%!PS", "application/postscript"),
)

# The tags after which WHATWG's MIME sniffing treats a resource as HTML, plus
# a few that are dangerous anywhere near the start of a "text" file.
HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body"
    rb"|br|p|!--)[\s>]",
    re.IGNORECASE,
)
HTML_ANYWHERE = re.compile(rb"<(?:script|iframe|html|body|object|embed)[\s>/]", re.IGNORECASE)
SVG_ANYWHERE = re.compile(rb"<svg[\s>/]", re.IGNORECASE)

ODT_MIMETYPE_PREFIX = "application/vnd.oasis.opendocument."


@dataclass(frozen=True)
class UploadInfo:
    """What the models store about an accepted upload."""

    mime: str
    kind: str
    extension: str
    size: int
    sha256: str
    clean_name: str


def get_setting(name, default):
    """Read a Sandyq setting, or ``default`` where Django is not configured."""
    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:
        return default


def sha256_of(fileobj):
    """Hash a file in chunks from its start, and leave it rewound."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    try:
        while chunk := fileobj.read(CHUNK_SIZE):
            digest.update(chunk)
    finally:
        fileobj.seek(0)
    return digest.hexdigest()


# File names -----------------------------------------------------------------

RESERVED_CHARACTERS = re.compile(r'[<>:"/\\|?*#%]')
WINDOWS_DEVICE_NAMES = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)
# Letters required: "Хаттама 12.05.2024" has no extension, it has a date.
EXTENSION = re.compile(r"^(?=[0-9]*[a-z])[0-9a-z]{1,10}$", re.IGNORECASE)


def split_extension(name):
    """Return (stem, lower-case extension without the dot); the extension may be ""."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not EXTENSION.match(extension):
        return name, ""
    return stem, extension.lower()


def clean_filename(name):
    """Turn a browser-supplied name into one that is safe to store, serve and show.

    Kazakh and Russian names are the norm here, so letters of any script are
    kept; only what breaks paths, headers or Windows is removed.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    # Cc: control characters; Cf: invisible format characters such as U+202E,
    # which can make "exe.pdf" display as "fdp.exe"; Z[lp]: line separators.
    name = "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char
        for char in name
        if unicodedata.category(char) not in {"Cf", "Co", "Cs", "Cn"}
    )
    name = RESERVED_CHARACTERS.sub("_", name)
    name = " ".join(name.split())

    stem, extension = split_extension(name)
    # No hidden files, and no trailing dots or spaces, which Windows drops.
    stem = stem.strip(". ")
    if WINDOWS_DEVICE_NAMES.match(stem):
        stem = f"{stem}_"

    suffix = f".{extension}" if extension else ""
    stem = stem[: MAX_FILENAME_LENGTH - len(suffix)].rstrip(". ")
    return f"{stem or FALLBACK_FILENAME}{suffix}"


# Sniffing -------------------------------------------------------------------


def sniff(data, filename=""):
    """Name the MIME type of ``data`` from its content.

    ``filename`` is accepted so callers can pass what they have, and is
    deliberately not consulted: a name is what an attacker controls.
    Returns None for content that is not recognised.
    """
    return _sniff(data[:HEAD_SIZE], io.BytesIO(data), utf8=_is_utf8(data))


def _is_utf8(data):
    try:
        codecs.decode(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sniff(head, stream, *, utf8):
    """Sniff from the first bytes, opening ``stream`` only for ZIP containers."""
    for magic, mime in MAGIC:
        if head.startswith(magic):
            return _sniff_zip(stream) if mime == ZIP else mime
    pdf_at = head.find(b"%PDF-", 0, 1024)
    if pdf_at == 0 or (pdf_at > 0 and b"<" not in head[:pdf_at]):
        return PDF
    return _sniff_text(head, utf8=utf8)


def _sniff_text(head, *, utf8):
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"#!"):
        return SHELL_SCRIPT
    if b"\x00" in head or not utf8:
        return None
    lowered = start[:1024].lower()
    if lowered.startswith(b"<?php"):
        return PHP
    if SVG_ANYWHERE.search(head):
        return SVG
    if HTML_START.match(start) or HTML_ANYWHERE.search(head):
        return HTML
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<!doctype"):
        return XML
    return TEXT


# What zipfile raises on damaged, encrypted or exotic archives.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError, NotImplementedError)


def _zip_readable(stream):
    try:
        with zipfile.ZipFile(stream):
            return True
    except ZIP_ERRORS:
        return False


def _sniff_zip(stream):
    """Tell a DOCX or ODT from any other ZIP by the members a reader needs."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = _read_member(archive, "mimetype", 200).strip().decode("ascii", "replace")
                if declared.startswith(ODT_MIMETYPE_PREFIX):
                    return declared
            if "[Content_Types].xml" in names:
                content_types = _read_member(archive, "[Content_Types].xml", 64 * 1024)
                if "word/vbaProject.bin" in names or b"macroEnabled" in content_types:
                    return DOCM
                if "word/document.xml" in names:
                    return DOCX
                if b"spreadsheetml.sheet.main+xml" in content_types:
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if b"presentationml.presentation.main+xml" in content_types:
                    return (
                        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
                    )
    except ZIP_ERRORS:
        pass
    return ZIP


def _read_member(archive, name, limit):
    with archive.open(name) as member:
        return member.read(limit)


# Validation -----------------------------------------------------------------


def _human_size(size):
    """Sizes as uploaders read them: "50 MB", "1.5 GB" (binary units, like Django's)."""
    unit, factor = ("GB", 1024**3) if size >= 1024**3 else ("MB", 1024**2)
    return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"


def validate_upload(fileobj, filename, *, max_size=None):
    """Accept or refuse an upload; say why in words the uploader understands.

    Works on anything with ``read`` and ``seek`` (Django's UploadedFile, an
    open file), reads it once in chunks, and leaves it rewound for storage.
    """
    if max_size is None:
        max_size = get_setting("SANDYQ_MAX_UPLOAD_SIZE", DEFAULT_MAX_UPLOAD_SIZE)
    clean_name = clean_filename(filename)

    declared_size = getattr(fileobj, "size", None)
    if not isinstance(declared_size, int):
        declared_size = _stream_size(fileobj)
    if declared_size is not None and declared_size > max_size:
        raise _too_large(declared_size, max_size)

    fileobj.seek(0)
    try:
        head, size, sha256, utf8 = _read_all(fileobj, max_size)
        fileobj.seek(0)
        mime = _sniff(head, fileobj, utf8=utf8)
        fileobj.seek(0)
        if mime == ZIP and not _zip_readable(fileobj):
            raise _damaged_zip()
        fileobj.seek(0)
        kind, extension = _check_type(mime, clean_name)
        if kind in ZIP_KINDS:
            _check_zip(fileobj, size)
        elif kind in IMAGE_KINDS:
            _check_image(fileobj)
    finally:
        fileobj.seek(0)

    if not extension:
        # A phone's "Scan 12" is fine; give it the extension its content has.
        extension = ALLOWED_TYPES[kind][1][0]
        clean_name = clean_filename(f"{clean_name}.{extension}")
    return UploadInfo(
        mime=mime,
        kind=kind,
        extension=extension,
        size=size,
        sha256=sha256,
        clean_name=clean_name,
    )


def validate_file_field(value):
    """Validator for Django model and form file fields.

    A file already in storage was checked on its way in; reading it back
    from storage on every save would be slow and prove nothing new.
    """
    if getattr(value, "_committed", False):
        return
    validate_upload(value, value.name)


def _read_all(fileobj, max_size):
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    size = 0
    utf8 = True
    while chunk := fileobj.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_size:
            raise _too_large(size, max_size, at_least=True)
        digest.update(chunk)
        if len(head) < HEAD_SIZE:
            head += chunk[: HEAD_SIZE - len(head)]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return head, size, digest.hexdigest(), utf8


def _stream_size(fileobj):
    """The size of a seekable file without reading it, so a refusal can name it; else None."""
    try:
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
    except (AttributeError, OSError, ValueError):
        return None
    return size if isinstance(size, int) else None


def _localised_size(size):
    """A size in the uploader's language ("11.1 КБ"), as Wagtail's own messages write it."""
    try:
        return filesizeformat(size)
    except ImproperlyConfigured:
        return _human_size(size)


def _too_large(size, max_size, *, at_least=False):
    if at_least:  # an unseekable stream, stopped once past the limit
        message = _("The file is larger than the limit of %(limit)s.")
    else:
        message = _("The file is %(size)s, larger than the limit of %(limit)s.")
    return ValidationError(
        message,
        code="too_large",
        params={"size": _localised_size(size), "limit": _localised_size(max_size)},
    )


def _check_type(mime, clean_name):
    """Return (kind, extension) for acceptable content, else raise."""
    if mime in DANGEROUS:
        raise ValidationError(DANGEROUS[mime], code="not_allowed")

    extension = split_extension(clean_name)[1]
    claimed_kind = KIND_BY_EXTENSION.get(extension)
    kind = KIND_BY_MIME.get(mime)

    if kind is not None:
        if extension and claimed_kind != kind:
            raise ValidationError(
                _(
                    "This file is %(actual)s, but its name ends in .%(extension)s. "
                    "Rename it to .%(expected)s or upload the right file."
                ),
                code="mismatch",
                params={
                    "actual": DESCRIPTIONS[mime],
                    "extension": extension,
                    "expected": ALLOWED_TYPES[kind][1][0],
                },
            )
        return kind, extension

    if claimed_kind is not None and mime is not None:
        raise ValidationError(
            _("This file is %(actual)s, not %(expected)s as its name .%(extension)s says."),
            code="mismatch",
            params={
                "actual": DESCRIPTIONS.get(mime, mime),
                "expected": DESCRIPTIONS[ALLOWED_TYPES[claimed_kind][0]],
                "extension": extension,
            },
        )
    if claimed_kind == "txt":
        raise ValidationError(
            _("This text file is not in UTF-8. Save it with UTF-8 encoding and try again."),
            code="corrupt",
        )
    if claimed_kind is not None:
        raise ValidationError(
            _("This file is not a readable %(type)s; it may be damaged."),
            code="corrupt",
            params={"type": KIND_NAMES[claimed_kind]},
        )
    if mime is not None:
        raise ValidationError(
            _("Files of this type (%(type)s) cannot be uploaded. Allowed types: %(allowed)s."),
            code="not_allowed",
            params={"type": DESCRIPTIONS.get(mime, mime), "allowed": ALLOWED_LIST},
        )
    raise ValidationError(
        _("This type of file cannot be uploaded. Allowed types: %(allowed)s."),
        code="not_allowed",
        params={"allowed": ALLOWED_LIST},
    )


def _check_zip(fileobj, size):
    """Refuse DOCX and ODT files that would inflate beyond reason.

    The sizes come from the central directory and can lie: zipfile (and so
    python-docx and odfpy) inflates a member whole before cutting it at its
    declared size. Extraction therefore counts what each member really
    yields, as a stream in its child process, before parsing
    (``extraction._check_zip_members``); this check only refuses the honest
    bombs early, while the uploader is still there to be told.
    """
    max_total = get_setting("SANDYQ_MAX_UNCOMPRESSED_SIZE", DEFAULT_MAX_UNCOMPRESSED_SIZE)
    max_ratio = get_setting("SANDYQ_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO)
    max_members = get_setting("SANDYQ_MAX_ZIP_MEMBERS", DEFAULT_MAX_ZIP_MEMBERS)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
    except ZIP_ERRORS as error:
        raise _damaged_zip() from error

    if len(members) > max_members:
        raise ValidationError(
            _("This document has too many parts (%(count)s) to be a real document."),
            code="zip_bomb",
            params={"count": len(members)},
        )
    total = sum(member.file_size for member in members)
    if total > max_total:
        raise ValidationError(
            _(
                "This document would unpack to %(total)s, more than the limit of %(limit)s. "
                "It may be a decompression bomb."
            ),
            code="zip_bomb",
            params={"total": _human_size(total), "limit": _human_size(max_total)},
        )
    if total > ZIP_RATIO_FLOOR and total / size > max_ratio:
        raise ValidationError(
            _(
                "This document is compressed %(ratio)s times, far more than real documents "
                "are. It may be a decompression bomb."
            ),
            code="zip_bomb",
            params={"ratio": int(total / size)},
        )


def _damaged_zip():
    return ValidationError(
        _("This document is damaged: its contents cannot be read."), code="corrupt"
    )


def max_image_pixels():
    return get_setting("SANDYQ_MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def _check_image(fileobj):
    """Read the image's header and chunk checksums: broken images and pixel bombs stop here."""
    try:
        with Image.open(fileobj) as image:
            width, height = image.size
            image.verify()
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("This image is damaged and cannot be read."), code="corrupt"
        ) from error
    if width * height > max_image_pixels():
        raise _too_many_pixels()


def _too_many_pixels():
    return ValidationError(
        _("This image has too many pixels to process. Scan it at a lower resolution."),
        code="too_large",
    )
