"""Peak memory of the worker and of the extraction child: hostile files against a normal PDF.

Run from the repository root:

    .venv/bin/python benchmarks/hostile_files.py [--bomb-mb 1024] [--zip-mb 320] [--pages 50]
        [--many-pages 100000] [--frames 1000]

The worker is this process: its peak resident memory is reset before each
file (``/proc/self/clear_refs``) and read after, so "worker growth" is what
reading one file added to it. The child's peak is its ``ru_maxrss`` (which
includes those of the worker's pages it touched). Hostile inputs come from
``tests/docs_library/test_hostile_files.py``, generated in memory; the
100,000-page PDF and the 1,000-frame TIFF are built here in a second or two
(one shared page content, one repeated frame).
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

MB = 1024 * 1024


def status(field):
    with open("/proc/self/status", "rb") as handle:
        for line in handle:
            if line.startswith(field.encode() + b":"):
                return int(line.split()[1]) * 1024
    return 0


def many_pages_pdf(pages):
    """A PDF of ``pages`` pages sharing one content stream: a line of text each, Helvetica."""
    content = b"BT /F1 12 Tf 72 770 Td (Sandyq archive page: text layer of a long file) Tj ET"
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        None,  # the page tree, once the pages' numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    first = len(head) + 1
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    page += b"/Resources << /Font << /F1 3 0 R >> >> >>"
    kids = b" ".join(b"%d 0 R" % number for number in range(first, first + pages))
    head[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, kids)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(head + [page] * pages, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        xref,
    )
    return bytes(out)


def many_frames_tiff(frames):
    """A multi-page TIFF of ``frames`` A4 pages at 300 dpi, one line of text on each.

    Pillow would compress every frame again (a minute for 1,000); here one
    frame is compressed (CCITT G4) and every page's directory points at it.
    """
    import io
    import struct

    from PIL import Image, ImageDraw, ImageFont

    from tests.docs_library import samples

    page = Image.new("1", (2480, 3508), color=1)
    ImageDraw.Draw(page).text(
        (240, 240), "ҚҰЖАТ ҚАУЛЫ", font=ImageFont.truetype(str(samples.FONT_PATH), 72), fill=0
    )
    one = io.BytesIO()
    page.save(one, "TIFF", compression="group4", strip_size=2**30)  # one strip
    with Image.open(io.BytesIO(one.getvalue())) as frame:
        tags = frame.tag_v2
        ((offset,), (count,)) = tags[273], tags[279]
        strip = one.getvalue()[offset : offset + count]
        photometric = tags[262]
    out = bytearray(b"II*\x00\x00\x00\x00\x00") + strip + b"\x00" * (len(strip) % 2)
    # Every value fits in its entry (Pillow refuses directories whose shared
    # out-of-line data add up to more than the file), so no resolution tags.
    entries = [  # tag, type (3 short, 4 long), count, value
        (256, 4, 1, 2480),
        (257, 4, 1, 3508),
        (258, 3, 1, 1),
        (259, 3, 1, 4),
        (262, 3, 1, photometric),
        (273, 4, 1, 8),
        (277, 3, 1, 1),
        (278, 4, 1, 3508),
        (279, 4, 1, len(strip)),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    first = len(out)
    struct.pack_into("<L", out, 4, first)
    for index in range(frames):
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack("<HHLL", tag, kind, count, value)
        last = index == frames - 1
        out += struct.pack("<L", 0 if last else first + ifd_size * (index + 1))
    return bytes(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=1024, help="PDF page stream, inflated")
    parser.add_argument("--zip-mb", type=int, default=320, help="DOCX member, inflated")
    parser.add_argument("--pages", type=int, default=50, help="pages of the normal PDF")
    parser.add_argument("--many-pages", type=int, default=100_000, help="pages of the long PDF")
    parser.add_argument("--frames", type=int, default=1000, help="frames of the long TIFF")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.utils import translation

    from docs_library.files.extraction import extract_text
    from docs_library.files.validation import ALLOWED_TYPES
    from tests.docs_library import samples
    from tests.docs_library.test_hostile_files import flate_bomb_pdf, lying_docx

    pdf, docx, tiff = (ALLOWED_TYPES[kind][0] for kind in ("pdf", "docx", "tiff"))
    page_text = " ".join([samples.KAZAKH_TEXT] * 12)
    normal = samples.kazakh_pdf(args.pages, page_text)
    inputs = [
        (f"normal PDF, {args.pages} pages", "normal.pdf", normal, pdf),
        (f"PDF Flate bomb ({args.bomb_mb} MB)", "bomb.pdf", flate_bomb_pdf(args.bomb_mb * MB), pdf),
        (f"DOCX, lying sizes ({args.zip_mb} MB)", "lying.docx", lying_docx(args.zip_mb * MB), docx),
        (f"PDF, {args.many_pages:,} pages", "long.pdf", many_pages_pdf(args.many_pages), pdf),
        (f"TIFF, {args.frames:,} A4 frames", "long.tiff", many_frames_tiff(args.frames), tiff),
    ]
    limit = settings.SANDYQ_EXTRACTION_MEMORY_LIMIT // MB
    print(
        f"{platform.machine()}, Python {platform.python_version()}, memory limit {limit} MB, "
        f"time limit {settings.SANDYQ_EXTRACTION_TIMEOUT:g} s, "
        f"OCR at most {settings.SANDYQ_MAX_OCR_PAGES} pages"
    )
    print("load average before:", " ".join(f"{load:.2f}" for load in os.getloadavg()))
    print(
        f"{'input':<36} {'file':>8} {'status':>7} {'seconds':>8} {'worker RSS':>11} "
        f"{'worker growth':>14} {'child peak':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="sandyq-bench-") as workdir, translation.override("en"):
        for label, name, data, mime in inputs:
            path = samples.write(workdir, name, data)
            del data
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
            before = status("VmRSS")
            start = time.perf_counter()
            result = extract_text(path, mime, preview_width=600)
            seconds = time.perf_counter() - start
            growth = status("VmHWM") - before
            print(
                f"{label:<36} {path.stat().st_size / MB:>6.2f}MB {result.status:>7} "
                f"{seconds:>8.2f} {before / MB:>9.0f}MB {growth / MB:>12.1f}MB "
                f"{result.peak_memory / MB:>9.0f}MB"
            )
            if result.error:
                print(f"  {result.error[:300]}")
            if result.page_count:
                print(f"  {result.page_count:,} pages, {len(result.text):,} characters of text")
    print("load average after:", " ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
