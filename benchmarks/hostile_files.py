"""Peak memory of the worker and of the extraction child: hostile files against a normal PDF.

Run from the repository root:

    .venv/bin/python benchmarks/hostile_files.py [--bomb-mb 1024] [--zip-mb 320] [--pages 50]

The worker is this process: its peak resident memory is reset before each
file (``/proc/self/clear_refs``) and read after, so "worker growth" is what
reading one file added to it. The child's peak is its ``ru_maxrss`` (which
includes those of the worker's pages it touched). Hostile inputs come from
``tests/docs_library/test_hostile_files.py``, generated in memory.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=1024, help="PDF page stream, inflated")
    parser.add_argument("--zip-mb", type=int, default=320, help="DOCX member, inflated")
    parser.add_argument("--pages", type=int, default=50, help="pages of the normal PDF")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.utils import translation

    from docs_library.files.extraction import extract_text
    from docs_library.files.validation import ALLOWED_TYPES
    from tests.docs_library import samples
    from tests.docs_library.test_hostile_files import flate_bomb_pdf, lying_docx

    pdf, docx = ALLOWED_TYPES["pdf"][0], ALLOWED_TYPES["docx"][0]
    page_text = " ".join([samples.KAZAKH_TEXT] * 12)
    normal = samples.kazakh_pdf(args.pages, page_text)
    inputs = [
        (f"normal PDF, {args.pages} pages", "normal.pdf", normal, pdf),
        (f"PDF Flate bomb ({args.bomb_mb} MB)", "bomb.pdf", flate_bomb_pdf(args.bomb_mb * MB), pdf),
        (f"DOCX, lying sizes ({args.zip_mb} MB)", "lying.docx", lying_docx(args.zip_mb * MB), docx),
    ]
    limit = settings.SANDYQ_EXTRACTION_MEMORY_LIMIT // MB
    print(f"{platform.machine()}, Python {platform.python_version()}, memory limit {limit} MB")
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
                print(f"  {result.error}")


if __name__ == "__main__":
    main()
