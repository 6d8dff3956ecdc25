"""How fast text comes out of PDFs: pypdfium2 against pypdf, and OCR.

Run from the repository root:

    .venv/bin/python benchmarks/extraction.py [--pages 50] [--repeat 5] [--ocr-pages 3]

Generates the same Kazakh PDFs the tests use (fpdf2 and DejaVu Sans), so the
figures in docs/extraction.md can be reproduced anywhere. Needs no Django
settings and no database.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best_rate(pages, repeat, run):
    """Pages per second: the best of ``repeat`` runs, and the median."""
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        rates.append(pages / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ocr-pages", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sandyq-bench-") as workdir:
        run(args, Path(workdir))


def run(args, workdir):
    # Imported here, once sys.path holds the repository root.
    import pypdf
    import pypdfium2 as pdfium
    import pytesseract

    from docs_library.files.extraction import extract_text, ocr_available
    from tests.docs_library import samples

    # A full page of prose, as in a real circular.
    page_text = " ".join([samples.KAZAKH_TEXT] * 12)
    text_pdf = samples.write(workdir, "text.pdf", samples.kazakh_pdf(args.pages, page_text))
    scan = samples.a4_scan_image(" ".join([samples.KAZAKH_TEXT, samples.RUSSIAN_TEXT] * 12))
    scan_pdf = samples.write(workdir, "scan.pdf", samples.scanned_pdf(args.ocr_pages, scan))

    def pdfium_text():
        with pdfium.PdfDocument(text_pdf) as pdf:
            texts = []
            for page in pdf:
                textpage = page.get_textpage()
                texts.append(textpage.get_text_bounded())
                textpage.close()
                page.close()
        return texts

    def pypdf_text():
        return [page.extract_text() for page in pypdf.PdfReader(text_pdf).pages]

    def pipeline_text():
        return extract_text(text_pdf, "application/pdf")

    def intact(texts):
        joined = "".join(texts)
        return all(word in joined for word in samples.KAZAKH_WORDS)

    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"pypdfium2 {pdfium.PYPDFIUM_INFO} (PDFium {pdfium.PDFIUM_INFO}), pypdf {pypdf.__version__}"
    )
    print(
        f"{args.pages}-page Kazakh PDF, {len(page_text)} characters a page, best of {args.repeat}"
    )
    print()

    fast, fast_median = best_rate(args.pages, args.repeat, pdfium_text)
    slow, slow_median = best_rate(args.pages, args.repeat, pypdf_text)
    ours, ours_median = best_rate(args.pages, args.repeat, pipeline_text)
    rows = [
        ("pypdfium2 text", fast, fast_median, intact(pdfium_text())),
        ("pypdf text", slow, slow_median, intact(pypdf_text())),
        ("extract_text (pypdfium2)", ours, ours_median, intact([pipeline_text().text])),
    ]
    print(f"{'':28}{'pages/s best':>14}{'median':>10}  Kazakh letters intact")
    for name, best, median, ok in rows:
        print(f"{name:28}{best:14.0f}{median:10.0f}  {'yes' if ok else 'NO'}")
    print(
        f"\nratio pypdfium2 / pypdf: {fast / slow:.1f}x (medians {fast_median / slow_median:.1f}x)"
    )

    if not ocr_available():
        print("\nOCR: tesseract is not installed, skipped")
        return
    version = pytesseract.get_tesseract_version()
    result = None

    def ocr_text():
        nonlocal result
        result = extract_text(scan_pdf, "application/pdf")

    ocr_best, ocr_median = best_rate(args.ocr_pages, 1, ocr_text)
    expected = set(" ".join([samples.KAZAKH_TEXT, samples.RUSSIAN_TEXT]).split())
    found = expected & set(result.text.split())
    print(
        f"\nOCR (Tesseract {version}, kaz+rus, rendered at 300 dpi, "
        f"{args.ocr_pages} scanned A4 pages of 12 pt text): "
        f"{ocr_best:.2f} pages/s, {1 / ocr_best:.1f} s a page; status {result.status}; "
        f"{len(found)} of {len(expected)} distinct words read exactly"
    )


if __name__ == "__main__":
    main()
