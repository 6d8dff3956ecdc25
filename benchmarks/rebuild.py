"""How long ``manage.py rebuild_search_index`` takes after ``ANALYSER_VERSION`` moves.

Run: ``.venv/bin/python benchmarks/rebuild.py`` (10,000 documents of about 3 KB
of Kazakh or Russian text, generated as ``benchmarks/search.py`` generates
them, in ``var/bench/rebuild-<docs>.sqlite3``; ``--docs``, ``--database-url``
and ``--fresh`` as there). The corpus is generated once; each run then marks
every entry as written by the previous analyser version, as a deployment of a
new version finds them, and times the command's own work
(``indexing.rebuild`` of the stale entries) in wall time, with the analysis
caches cold as in a fresh process; ``--jobs N`` as the command's. The load
average is printed: on a shared machine it says how far to trust the figure. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import search as bench  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--primary-organisations", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument("--jobs", type=int, default=1, help="processes that analyse the text")
    args = parser.parse_args(argv)
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    if not args.database_url:
        path = folder / f"rebuild-{args.docs}.sqlite3"
        if args.fresh:
            path.unlink(missing_ok=True)
        args.database_url = f"sqlite:///{path}"
    generated = _setup(args)
    if not generated:
        _generate(args)

    from search import analysis, indexing
    from search.models import SearchEntry

    entries = SearchEntry.objects.count()
    words = _words()
    stale = analysis.ANALYSER_VERSION - 1
    SearchEntry.objects.update(analyser_version=stale)
    for cached in (
        analysis._token_keys,
        analysis.kk_keys,
        analysis.stem_ru,
        analysis.latin_keys,
        analysis.folded_stem_key,
    ):
        cached.cache_clear()
    print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    cpu_started = time.process_time()
    counts = indexing.rebuild(everything=False, batch_size=200, jobs=args.jobs)
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    print(f"load average after: {os.getloadavg()}")
    print(
        f"{entries:,} entries ({words:,} words of text), analyser version {stale} → "
        f"{analysis.ANALYSER_VERSION}: {counts['written']:,} rewritten in {seconds:.0f} s "
        f"wall with {args.jobs} job(s), {cpu:.0f} s CPU of this process "
        f"({counts['written'] / seconds:.0f} entries/s)"
    )


def _setup(args) -> bool:
    """Point Django at the benchmark database; True if the corpus is already there."""
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    os.environ.setdefault("SANDYQ_TEST_FILES", str(ROOT / "var" / "bench" / "files"))
    if args.database_url.startswith("postgres"):
        bench.create_postgres_database(args.database_url)
    import django

    django.setup()
    from django.db import connection

    if "search_searchentry" not in connection.introspection.table_names():
        return False
    from search.models import SearchEntry

    return SearchEntry.objects.exists()


def _generate(args) -> None:
    """The corpus of benchmarks/search.py, with Sandyq's entries and without Wagtail's index."""
    import io

    from tqdm import tqdm

    from django.core.management import call_command
    from django.db import transaction

    from wagtail.models import Page

    from home.demo import DemoLoader
    from home.models import organisation_page_models
    from search import indexing

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        DemoLoader(primary_count=args.primary_organisations, stdout=io.StringIO()).load()
    organisations = list(Page.objects.type(*organisation_page_models()).specific().order_by("path"))
    libraries = bench.make_libraries(organisations)
    bench.make_documents(args, libraries, bench.TextMaker(args.seed))
    total = sum(queryset.count() for _m, queryset in indexing.pages_to_index(everything=True))
    with tqdm(total=total, desc="Sandyq search entries", unit="page") as bar:
        indexing.rebuild(
            everything=True, progress=bar.update, batch_size=500, jobs=os.cpu_count() or 1
        )


def _words() -> int:
    from search.models import SearchText

    total = 0
    for text in SearchText.objects.values_list("text_words", flat=True).iterator():
        total += len(text.split()) if text else 0
    return total


if __name__ == "__main__":
    main()
