"""Text out of uploaded files, for search, snippets and language facets.

Runs in background tasks on files that passed ``validation``, but still
treats every file as hostile: ``extract_text`` reports a damaged, encrypted or
slow document in its result and never raises, so one bad upload cannot jam
the task queue. Pages of a PDF are separated by form feeds (``\\f``), as
pdftotext does, so callers can find which page a word is on.

Each file is read in a forked child process with a hard address-space limit
and a time limit: a PDF whose page inflates to gigabytes, or a parser bug,
kills the child, not the worker, which only ever receives the text and the
preview.

No Django settings are needed: limits fall back to defaults.
"""

import contextlib
import ctypes
import faulthandler
import io
import logging
import os
import pickle
import re
import resource
import select
import signal
import threading
import time
import unicodedata
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytesseract
from PIL import Image, ImageOps, ImageSequence

from docs_library.files.office import (  # noqa: F401 - _check_zip_members: also read here by tests
    _,
    _check_zip_members,
    _docx_text,
    _odt_text,
    _Refused,
    _size,
)
from docs_library.files.validation import (
    DEFAULT_MAX_UNCOMPRESSED_SIZE,
    KIND_BY_MIME,
    ZIP_KINDS,
    get_setting,
    max_image_pixels,
    sha256_of,
)

__all__ = [
    "DONE",
    "ENCRYPTED",
    "FAILED",
    "OCR",
    "ExtractionResult",
    "detect_language",
    "extract_text",
    "ocr_available",
    "render_preview",
    "sha256_of",
]

logger = logging.getLogger("sandyq.extraction")

DONE = "done"
OCR = "ocr"
FAILED = "failed"
ENCRYPTED = "encrypted"

# Why a FAILED extraction failed (the codes of ``models.ExtractionFailure``).
TIME_LIMIT = "time_limit"
MEMORY_LIMIT = "memory_limit"
TOO_LARGE = "too_large"
CRASHED = "crashed"
DAMAGED = "damaged"
OCR_UNAVAILABLE = "ocr_unavailable"
UNSUPPORTED = "unsupported"

DEFAULT_MAX_OCR_PAGES = 200
DEFAULT_TIMEOUT = 300.0
#: Address space the extraction child may add to what it shares with the worker.
DEFAULT_MEMORY_LIMIT = 768 * 1024 * 1024
#: The child gets this long past the time budget (previews, cleaning up)
#: before it is killed.
KILL_GRACE_SECONDS = 15.0
#: prctl(2): the signal a child receives when its parent dies.
PR_SET_PDEATHSIG = 1
#: Longer texts are cut: no real document has more, and the worker holds the text.
MAX_TEXT_CHARS = 20_000_000
OCR_DPI = 300
#: About A3 at 300 dpi.
MAX_OCR_PIXELS = 20_000_000
#: A page with fewer visible characters than this in its text layer is
#: treated as a scan: a stamped page number alone does not make a page text.
MIN_TEXT_LAYER_CHARS = 16
PAGE_BREAK = "\f"

# Tesseract's OpenMP threads fight each other for the CPU: on the 2-CPU
# benchmark machine an A4 page took 9.9 s with them and 2.6 s without (see
# docs/extraction.md). Parallelism comes from running more task workers.
# An explicit OMP_THREAD_LIMIT in the environment still wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: PDFium is not thread-safe, even across documents, and Django may call us
#: from several request or worker threads at once.
_pdfium_lock = threading.RLock()


@dataclass
class ExtractionResult:
    text: str
    page_count: int | None
    status: str
    error: str = ""
    language: str = ""
    #: The preview as PNG bytes, when one was asked for and could be drawn.
    preview: bytes | None = None
    #: Peak resident memory of the child that read the file, bytes.
    peak_memory: int | None = None
    #: Why a FAILED extraction failed, one of ``models.ExtractionFailure``'s codes.
    reason: str = ""


class _Budget:
    """Wall-clock allowance for one extraction, shared by all its pages."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self):
        return self.deadline - time.monotonic()

    def exhausted(self):
        return self.remaining() <= 0


class _TimedOut(Exception):
    pass


def extract_text(
    path,
    mime,
    *,
    max_ocr_pages=None,
    timeout=None,
    ocr_languages="kaz+rus",
    preview_width=None,
    memory_limit=None,
):
    """Extract the text of the file at ``path``, judged to be of type ``mime``.

    Uses OCR where there is no text layer, within ``max_ocr_pages`` pages and
    ``timeout`` seconds; a result over either limit keeps the text found so far.
    With ``preview_width``, the result also carries a PNG preview that wide.
    Runs in a child process that may use ``memory_limit`` bytes of address
    space; one that dies or overruns ends as FAILED with the reason.
    """
    if max_ocr_pages is None:
        max_ocr_pages = get_setting("SANDYQ_MAX_OCR_PAGES", DEFAULT_MAX_OCR_PAGES)
    if timeout is None:
        timeout = get_setting("SANDYQ_EXTRACTION_TIMEOUT", DEFAULT_TIMEOUT)
    if memory_limit is None:
        memory_limit = get_setting("SANDYQ_EXTRACTION_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    max_unpacked = get_setting("SANDYQ_MAX_UNCOMPRESSED_SIZE", DEFAULT_MAX_UNCOMPRESSED_SIZE)
    return _in_child(
        _read_file,
        (os.fspath(path), mime, max_ocr_pages, timeout, ocr_languages, preview_width, max_unpacked),
        memory_limit=memory_limit,
        deadline=timeout + KILL_GRACE_SECONDS,
    )


def _read_file(path, mime, max_ocr_pages, timeout, ocr_languages, preview_width, max_unpacked):
    """What the child does: the text, then the preview, of one file."""
    budget = _Budget(timeout)
    ocr = _OCR(ocr_languages, max_ocr_pages, budget)

    kind = KIND_BY_MIME.get(mime)
    try:
        if kind in ZIP_KINDS:
            _check_zip_members(path, max_unpacked)
        if kind == "pdf":
            result = _extract_pdf(path, ocr, budget)
        elif kind == "docx":
            result = _finish(_docx_text(path), None)
        elif kind == "odt":
            result = _finish(_odt_text(path), None)
        elif kind == "txt":
            result = _extract_txt(path)
        elif kind in {"png", "jpeg", "tiff"}:
            result = _extract_image(path, ocr)
        else:
            result = ExtractionResult(
                "", None, FAILED, f"Text cannot be extracted from {mime}.", reason=UNSUPPORTED
            )
    except _Refused as refusal:
        result = ExtractionResult("", None, FAILED, str(refusal), reason=TOO_LARGE)
    except MemoryError:
        raise
    except Exception as error:
        # Parsers of hostile files fail in endless ways; none of them may
        # escape into the task runner.
        logger.warning("Text extraction failed for %s", path, exc_info=True)
        result = ExtractionResult("", None, FAILED, _describe(error, kind, path), reason=DAMAGED)
    result.text = _clean_text(result.text)
    if len(result.text) > MAX_TEXT_CHARS:
        result.text = result.text[:MAX_TEXT_CHARS]
        result.error = " ".join(
            filter(None, [result.error, f"The text was cut at {MAX_TEXT_CHARS} characters."])
        )
    result.language = detect_language(result.text)
    if preview_width and result.status != ENCRYPTED:
        image = render_preview(path, mime, width=preview_width)
        if image is not None:
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG", optimize=True)
            result.preview = buffer.getvalue()
    return result


def read_small_text(path, limit=1024 * 1024):
    """``extract_text`` of a text file up to ``limit`` bytes, here: no child needed."""
    if os.path.getsize(path) > limit:
        return None
    return _read_file(os.fspath(path), "text/plain", 0, DEFAULT_TIMEOUT, "", None, limit)


# The sandbox ----------------------------------------------------------------


def _in_child(function, args, *, memory_limit, deadline):
    """Run ``function(*args)`` in a forked child with a memory and a time limit.

    Fork, not spawn: the child starts at once with the parser libraries
    loaded (spawning would import them again for every file). Holding the
    PDFium lock across the fork makes sure no other thread of the worker is
    inside PDFium, whose state the child inherits.
    """
    read_end, write_end = os.pipe()
    shared = _status("VmRSS")  # counted in the child's peak too, until it writes to them
    worker = os.getpid()
    with _pdfium_lock:
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        _child(function, args, memory_limit, write_end, worker=worker, cpu_seconds=deadline)
    os.close(write_end)
    try:
        payload, timed_out = _read_until(read_end, time.monotonic() + deadline)
    except BaseException:  # the worker is being stopped: take the child along
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _pid, status, usage = os.wait4(pid, 0)
    peak = usage.ru_maxrss * 1024
    outcome, value = _unpickle(payload)
    if outcome == "ok":
        value.peak_memory = peak
        return value
    if timed_out:
        message = _(
            "Text extraction was stopped at the time limit of %(seconds)s s; the file was not read."
        ) % {"seconds": f"{deadline - KILL_GRACE_SECONDS:g}"}
        code = TIME_LIMIT
    elif outcome == "memory" or (
        # PDFium aborts when an allocation fails; a crash well below the limit is something else.
        os.WIFSIGNALED(status) and memory_limit and peak - shared >= memory_limit // 2
    ):
        message = _(
            "Text extraction was stopped: reading this file needs more memory than the "
            "limit of %(limit)s. The file may be built to exhaust the server (a "
            "decompression bomb)."
        ) % {"limit": _size(memory_limit)}
        code = MEMORY_LIMIT
    else:
        message = _(
            "Text extraction failed: the program reading this file stopped unexpectedly. "
            "The file may be damaged."
        )
        code = CRASHED
    logger.warning(
        "Extraction child for %s ended with status %s (%s), peak memory %d MB",
        args[0],
        status,
        outcome,
        peak >> 20,
    )
    return ExtractionResult("", None, FAILED, message, peak_memory=peak, reason=code)


def _child(
    function, args, memory_limit, write_end, *, worker, cpu_seconds
):  # pragma: no cover - runs in the child
    global _pdfium_lock
    code = 0
    try:
        _die_with(worker)
        # The worker kills a child that overruns; should the worker itself be
        # gone, the kernel stops the child at this much CPU time.
        cpu = int(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        _pdfium_lock = threading.RLock()  # the worker's other threads are gone
        faulthandler.disable()  # a PDFium abort is reported by the worker, not dumped here
        if memory_limit:
            # Relative to what the child shares with the worker at birth.
            limit = _status("VmSize") + memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            payload = pickle.dumps(("ok", function(*args)))
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except BaseException:
            logger.exception("Extraction child failed for %s", args[0])
            payload = pickle.dumps(("error", None))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        code = 1
    finally:
        # Never return into the worker's code: no atexit, no database cleanup.
        os._exit(code)


def _die_with(worker):  # pragma: no cover - runs in the child
    """Have the kernel kill this child when the worker dies (SIGKILL, out of memory).

    Otherwise a killed worker's child would go on reading its file for nobody,
    beside the restarted worker reading the same file again.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker:  # the worker died before the line above
        os._exit(1)


def _status(field):
    """A size from /proc/self/status (VmSize: address space, VmRSS: resident), bytes."""
    key = field.encode() + b":"
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def _read_until(fd, deadline):
    """Everything the child writes, or what came before ``deadline``."""
    chunks = []
    poller = select.poll()  # not select(): a busy worker's descriptors may pass 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b"".join(chunks), True
            if not poller.poll(max(1, int(remaining * 1000))):
                continue
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
    finally:
        os.close(fd)


def _unpickle(payload):
    try:
        return pickle.loads(payload)  # noqa: S301 - written by our own child
    except Exception:
        return "died", None


def _finish(text, page_count):
    return ExtractionResult(text, page_count, DONE)


def _describe(error, kind, path):
    """A one-line reason for editors, without the server's file system layout."""
    detail = str(error).strip().replace(os.fspath(path), os.path.basename(path))
    detail = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return f"The {kind.upper()} file cannot be read ({detail})."


def _clean_text(text):
    """Normalise line ends and drop NULs, which PostgreSQL cannot store."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\x00", "").strip()


# OCR ------------------------------------------------------------------------


def ocr_available():
    """Whether the Tesseract binary can be run."""
    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return False
    return True


class _OCR:
    """Reads page images within the page limit and the time budget.

    Keeps count of what it could not read, so the result can say so.
    """

    def __init__(self, languages, max_pages, budget):
        self.languages = languages
        self.max_pages = max_pages
        self.budget = budget
        self.done = 0
        self.skipped = 0
        self.unavailable = ""

    def can_run(self):
        return not self.unavailable and self.done < self.max_pages

    def skip(self, pages=1):
        self.skipped += pages

    def read(self, image):
        """Return the image's text, or None once OCR turned out to be unavailable."""
        remaining = self.budget.remaining()
        if remaining <= 0:
            raise _TimedOut
        try:
            text = pytesseract.image_to_string(
                image.convert("L"), lang=self.languages, timeout=max(remaining, 0.01)
            )
        except pytesseract.TesseractNotFoundError:
            self.unavailable = "OCR is unavailable: Tesseract is not installed."
        except pytesseract.TesseractError as error:
            # Most often a missing language model (tesseract-ocr-kaz).
            self.unavailable = f"OCR is unavailable: {error.message.strip()}"
        except RuntimeError as error:
            # pytesseract signals its timeout with a bare RuntimeError.
            if "timeout" in str(error).lower():
                raise _TimedOut from error
            raise
        else:
            self.done += 1
            return text
        self.skip()
        return None

    def note(self):
        if self.unavailable:
            return f"{self.unavailable} {self.skipped} page(s) without a text layer were not read."
        if self.skipped:
            return (
                f"OCR stopped at the limit of {self.max_pages} page(s): "
                f"{self.skipped} page(s) without a text layer were not read."
            )
        return ""


def _timeout_note(budget, done, total):
    return (
        f"Extraction stopped at the time limit of {budget.seconds:g} s "
        f"after {done} of {total} page(s)."
    )


def _result(pages, page_count, *, ocr, ocr_used, stopped):
    """Status and notes shared by PDFs and multi-page images."""
    status, reason = DONE, ""
    if stopped or ocr.unavailable:
        status, reason = FAILED, TIME_LIMIT if stopped else OCR_UNAVAILABLE
    elif ocr_used:
        status = OCR
    notes = " ".join(note for note in (stopped, ocr.note()) if note)
    return ExtractionResult(
        PAGE_BREAK.join(page.strip() for page in pages), page_count, status, notes, reason=reason
    )


# PDF ------------------------------------------------------------------------


def _open_pdf(path):
    """Open a PDF, or return the ExtractionResult that explains why not."""
    try:
        return pdfium.PdfDocument(path), None
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            return None, ExtractionResult(
                "", None, ENCRYPTED, "The PDF is protected by a password."
            )
        return None, ExtractionResult(
            "", None, FAILED, f"The PDF cannot be read: {error}", reason=DAMAGED
        )


def _extract_pdf(path, ocr, budget):
    with _pdfium_lock:
        pdf, failure = _open_pdf(path)
    if failure:
        return failure
    pages = []
    ocr_used = False
    stopped = ""
    try:
        page_count = len(pdf)
        for index in range(page_count):
            if index and budget.exhausted():
                stopped = _timeout_note(budget, index, page_count)
                break
            with _pdfium_lock:
                text, image = _read_pdf_page(pdf, index, render=ocr.can_run())
            if image is None:
                if not _has_text(text):
                    ocr.skip()
                pages.append(text)
                continue
            try:
                ocr_text = ocr.read(image)
            except _TimedOut:
                pages.append(text)
                stopped = _timeout_note(budget, index, page_count)
                break
            if ocr_text and ocr_text.strip():
                ocr_used = True
                pages.append(ocr_text)
            else:
                pages.append(text)
    finally:
        with _pdfium_lock:
            pdf.close()
    return _result(pages, page_count, ocr=ocr, ocr_used=ocr_used, stopped=stopped)


def _read_pdf_page(pdf, index, *, render):
    """Return the page's text layer, and its image too if it needs OCR."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
        if _has_text(text) or not render:
            return text, None
        width, height = page.get_size()
        # 300 dpi, except for posters and bogus page sizes, which would need
        # gigabytes of memory and read no better.
        scale = min(OCR_DPI / 72, (MAX_OCR_PIXELS / max(width * height, 1)) ** 0.5)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            return text, bitmap.to_pil()
        finally:
            bitmap.close()
    finally:
        page.close()


def _has_text(text):
    return len("".join(text.split())) >= MIN_TEXT_LAYER_CHARS


# Office documents -----------------------------------------------------------


def _extract_txt(path):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return _finish(data.decode("utf-8-sig"), None)
    except UnicodeDecodeError as error:
        return ExtractionResult(
            "", None, FAILED, f"The text is not UTF-8 ({error}).", reason=DAMAGED
        )


def _extract_image(path, ocr):
    """OCR every frame: a multi-page TIFF is how some scanners save a whole file."""
    texts = []
    stopped = ""
    with Image.open(path) as image:
        _check_pixels(image)
        frame_count = getattr(image, "n_frames", 1)
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if not ocr.can_run():
                ocr.skip(frame_count - index)
                break
            _check_pixels(frame)
            try:
                text = ocr.read(ImageOps.exif_transpose(frame))
            except _TimedOut:
                stopped = _timeout_note(ocr.budget, index, frame_count)
                break
            texts.append(text or "")
    ocr_used = any(text.strip() for text in texts)
    return _result(texts, frame_count, ocr=ocr, ocr_used=ocr_used, stopped=stopped)


# Language -------------------------------------------------------------------

KAZAKH_ONLY_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
#: Kazakh prose has 10-15 % of its Cyrillic letters from the nine Kazakh-only
#: ones; Russian has none, so a Russian text quoting a Kazakh name stays below.
KAZAKH_SHARE = 0.03
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def detect_language(text):
    """Guess "kk", "ru" or "en" from the letters alone, "" if there are none.

    Good enough for a document facet; per-paragraph analysis for search
    stemming is the search app's business.
    """
    cyrillic = len(CYRILLIC.findall(text))
    latin = len(LATIN.findall(text))
    if not cyrillic and not latin:
        return ""
    if cyrillic >= latin:
        kazakh = len(KAZAKH_ONLY_LETTERS.findall(text))
        return "kk" if kazakh / cyrillic >= KAZAKH_SHARE else "ru"
    return "en"


# Previews -------------------------------------------------------------------

#: A preview taller than this many widths is cut off at the bottom.
MAX_PREVIEW_ASPECT = 4


def render_preview(path, mime, *, width=600):
    """First page of a PDF, or the image itself, ``width`` pixels wide.

    Returns None where there is nothing to show (text documents) or nothing
    can be shown (encrypted or damaged files); a missing preview must not
    fail an upload.
    """
    kind = KIND_BY_MIME.get(mime)
    try:
        if kind == "pdf":
            return _render_pdf_preview(os.fspath(path), width)
        if kind in {"png", "jpeg", "tiff"}:
            return _render_image_preview(path, width)
    except Exception:
        logger.warning("Preview rendering failed for %s", path, exc_info=True)
    return None


def _render_pdf_preview(path, width):
    with _pdfium_lock:
        pdf, failure = _open_pdf(path)
        if failure:
            return None
        try:
            page = pdf[0]
            try:
                page_width, page_height = page.get_size()
                scale = width / page_width
                max_height = width * MAX_PREVIEW_ASPECT / scale
                crop_bottom = max(page_height - max_height, 0)
                bitmap = page.render(scale=scale, crop=(0, crop_bottom, 0, 0))
                try:
                    image = bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
    if image.width != width:  # rounding of a fractional scale
        image = image.resize((width, round(image.height * width / image.width)))
    return image


def _render_image_preview(path, width):
    with Image.open(path) as image:
        _check_pixels(image)
        image.draft("RGB", (width, width * MAX_PREVIEW_ASPECT))  # JPEG decodes smaller
        preview = ImageOps.exif_transpose(image)
        if preview.mode in {"RGBA", "LA", "P", "PA"}:
            preview = preview.convert("RGBA")
            background = Image.new("RGBA", preview.size, "white")
            preview = Image.alpha_composite(background, preview)
        preview = preview.convert("RGB")
        preview.thumbnail((width, width * MAX_PREVIEW_ASPECT))
        return preview


def _check_pixels(image):
    """Refuse to decode an image bigger than uploads may be (a pixel bomb)."""
    width, height = image.size
    if width * height > max_image_pixels():
        raise _Refused(f"The image has too many pixels ({width} × {height}).")
