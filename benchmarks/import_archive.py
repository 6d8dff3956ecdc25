"""How fast ``manage.py import_archive`` brings a folder of small text files in.

Run from the repository root, on the embedded SQLite or on PostgreSQL:

    .venv/bin/python benchmarks/import_archive.py [--files 10000]
    DATABASE_URL=postgres://sandyq@127.0.0.1:5432/sandyq \
        .venv/bin/python benchmarks/import_archive.py

Builds a throwaway database of its own (a temporary SQLite file, or a
``bench_…`` PostgreSQL database it drops afterwards) with a small party tree
and a document library in a primary organisation, and a folder of
``--files`` text files of one paragraph each (Kazakh or Russian sentences of
the project's demo data, as ``benchmarks/search.py`` uses), dated in their
names. Tasks run as in production: extraction is queued for ``db_worker``
(``django_tasks_db``), not run in the command.

What is timed, in one process run, so the ratios hold on a busy machine:

- **import**: ``import_archive FOLDER --library …`` as an administrator runs
  it (progress bar off), records/s;
- **again**: the same command on the same folder (every file already there),
  files/s: what a re-run after an interrupted import costs before it reaches
  the files still missing;
- **bulk floor**: ``bulk_create`` of the same number of page rows and
  ``DocumentPage`` rows under another library (no file, revision, log entry,
  token or search entry): the least any import of these records can cost;
- **add_child**: Wagtail's own ``add_child`` loop (one save per page, its
  signals, no revision, no file) on ``--add-child`` records, records/s: what a
  page costs when it is made the ordinary way.

The load average (``os.getloadavg``) is printed before and after: on a shared
machine it says how far to trust the absolute figures.
``--profile FILE`` writes a cProfile profile of the import (read it with
``python -m pstats FILE``) and prints its top functions by cumulative time.
"""

import argparse
import datetime
import io
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def sentences() -> dict[str, list[str]]:
    """Sentences of the demo articles, by language."""
    bank = {}
    for language in ("kk", "ru"):
        text = (ROOT / "home" / "demo_data" / f"seed-article-{language}.txt").read_text("utf-8")
        bank[language] = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20]
    return bank


def write_folder(folder: Path, count: int, seed: int = 18) -> None:
    """``count`` one-paragraph text files, 100 to a folder, dated in their names."""
    rng = random.Random(seed)
    bank = sentences()
    for number in range(count):
        language = "kk" if rng.random() < 0.6 else "ru"
        paragraph = " ".join(rng.choice(bank[language]) for _ in range(rng.randint(3, 6)))
        day = datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randrange(7000))
        word = "Хаттама" if language == "kk" else "Протокол"
        subfolder = folder / f"{number // 100:03d}"
        subfolder.mkdir(parents=True, exist_ok=True)
        name = f"{word} {number + 1} {day:%d.%m.%Y}.txt"
        # A number in the text too: no two files are the same, as in a real archive.
        (subfolder / name).write_text(f"№ {number + 1}. {paragraph}\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--add-child", type=int, default=500)
    parser.add_argument("--profile", help="write a cProfile profile of the import here")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="sandyq-bench-import-")
    os.environ["SANDYQ_TEST_FILES"] = workdir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test import override_settings

    production_tasks = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    )
    production_tasks.enable()
    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(workdir) / "bench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = "bench_sandyq_import"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, Path(workdir), connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def bulk_floor(library, count: int) -> float:
    """Seconds to insert ``count`` records' page and record rows: one ``bulk_create`` of
    the page rows and one INSERT of the record rows (as ``docs_library.importing``
    does), no signals, file, revision, history, token or search entry."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from wagtail.models import Locale, Page

    from docs_library.models import DocumentPage

    content_type = ContentType.objects.get_for_model(DocumentPage)
    locale = Locale.get_default()
    organisation_id = library.get_parent().pk
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        records = [
            DocumentPage(
                title=f"Хаттама {number}",
                draft_title=f"Хаттама {number}",
                slug=f"hattama-{number}",
                path=Page._get_path(library.path, library.depth + 1, number + 1),
                depth=library.depth + 1,
                numchild=0,
                url_path=f"{library.url_path}hattama-{number}/",
                content_type=content_type,
                locale=locale,
                live=True,
                first_published_at=now,
                last_published_at=now,
                summary="",
                document_date=datetime.date(2020, 1, 1),
                registration_year=2020,
                organisation_id=organisation_id,
            )
            for number in range(count)
        ]
        pages = Page.objects.bulk_create(
            [
                Page(**{f.attname: getattr(r, f.attname) for f in Page._meta.concrete_fields})
                for r in records
            ]
        )
        for record, page in zip(records, pages, strict=True):
            record.id = record.page_ptr_id = page.pk
        DocumentPage._base_manager._insert(
            records, fields=DocumentPage._meta.local_concrete_fields, using="default"
        )
        Page.objects.filter(pk=library.pk).update(numchild=count)
    return time.perf_counter() - started


def add_child_loop(library, count: int) -> float:
    from django.db import transaction

    from docs_library.models import DocumentPage

    started = time.perf_counter()
    with transaction.atomic():
        for number in range(count):
            library.add_child(
                instance=DocumentPage(
                    title=f"Хаттама {number}",
                    slug=f"hattama-{number}",
                    document_date=datetime.date(2020, 1, 1),
                )
            )
    return time.perf_counter() - started


def run(args, workdir: Path, connection):
    from django.core.management import call_command

    from docs_library.models import DocumentPage
    from tests.factories import (
        DistrictFactory,
        LibraryFactory,
        PrimaryFactory,
        RegionFactory,
        central_office,
    )

    home = central_office()
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    district = DistrictFactory(parent=region, title="Әуезов ауданы")
    primary = PrimaryFactory(parent=district, title="«Игілік» БПҰ")
    library = LibraryFactory(parent=primary, title="Мұрағат")
    floor_library = LibraryFactory(parent=primary, title="Еден", slug="eden")
    child_library = LibraryFactory(parent=primary, title="Бала", slug="bala")
    folder = workdir / "мұрағат"
    write_folder(folder, args.files)
    print(f"{connection.vendor}, {args.files} files; load average before: {load()}", flush=True)

    def import_once() -> tuple[float, str]:
        out = io.StringIO()
        started = time.perf_counter()
        call_command(
            "import_archive",
            str(folder),
            "--library",
            str(library.pk),
            stdout=out,
            stderr=io.StringIO(),
        )
        return time.perf_counter() - started, out.getvalue().strip().splitlines()[0]

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    seconds, summary = import_once()
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    imported = DocumentPage.objects.child_of(library).count()
    print(f"import: {summary} {seconds:.1f} s, {imported / seconds:.1f} records/s", flush=True)
    again, summary = import_once()
    print(f"again: {summary} {again:.1f} s, {args.files / again:.0f} files/s", flush=True)
    floor = bulk_floor(floor_library, args.files)
    print(f"bulk floor: {floor:.2f} s, {args.files / floor:.0f} records/s", flush=True)
    child = add_child_loop(child_library, args.add_child)
    child_rate = args.add_child / child
    print(f"add_child loop: {args.add_child} in {child:.1f} s, {child_rate:.1f} records/s")
    print(f"load average after: {load()}")
    print(
        f"import / bulk floor: {seconds / floor:.1f}×; "
        f"import records/s / add_child records/s: {(imported / seconds) / child_rate:.2f}"
    )


if __name__ == "__main__":
    main()
