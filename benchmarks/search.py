"""Search speed on a generated archive: Sandyq's service against the raw floor and stock Wagtail.

Run: ``.venv/bin/python benchmarks/search.py`` (10,000 documents; a few minutes
the first time, seconds afterwards: the database is kept under ``var/bench/``).
Options: ``--docs 100000`` for the large run (generation takes a long while),
``--database-url postgres://sandyq@127.0.0.1:5432/sandyq_bench`` for PostgreSQL
(the database is created if missing), ``--fresh`` to generate again,
``--queries``, ``--passes``, ``--stock-queries`` (stock Wagtail takes seconds per
query at scale, so it runs a subset of the same queries).

What is generated: the demo hierarchy (regions, districts, primary
organisations from ``home.demo``), a document library in each organisation,
and documents of about 3 KB of Kazakh or Russian text each, made of the
project's demo sentences with words of a Zipf-distributed vocabulary of real
inflected forms mixed in, with mixed access levels (public, members,
organisation, restricted), types, years and registration numbers. Access
tokens are written by ``docs_library.access``, the search entries by
``search.indexing`` (its analysis in one process per core) and Wagtail's own
index by its ``update_index``.

What is measured, for the same queries in one run (single words and pairs of
moderate frequency, typed in the forms the documents use and in others), each
query timed as the median of ``--passes`` runs after a warm-up, the floor,
the engine and the service taking turns on each query, then p50/p95 over the
queries:

* raw floor: the full-text engine alone over the same rows and the same keys,
  top 10 by its own score (FTS5 ``MATCH … ORDER BY bm25 LIMIT 10`` or the GIN
  ``@@ … ORDER BY ts_rank LIMIT 10``), no access, no facets; on PostgreSQL
  twice: as the planner chooses, and with sequential scans priced out
  (``SET enable_seqscan = off`` around that timing only), the index-forced
  floor the statement should stand beside;
* engine: Sandyq's database engine, access filter and facet counts included
  (on SQLite FTS5 and the arrays of ``search.engines.columns``; on PostgreSQL one
  statement), for a staff user with grants;
* service: ``search.service.search`` as the archive view calls it: engine,
  pages, links and snippets;
* stock Wagtail: ``Page.objects.live().search(q)[:10]`` on Wagtail's database
  backend over the same pages.

The query set never holds a word in more than a tenth of the documents, so a
heavy-word tier follows: ``HEAVY_WORDS`` (the party's name, in nearly every
document, and others in half of them or more), each timed the same way by
every system, one row per word. On SQLite a heavy query's ids are kept
between searches, and on PostgreSQL its answer, so that table has two more
columns, "engine, first" and "service, first": the word's first search, with
nothing kept.

On PostgreSQL the corpus is analysed (``ANALYZE``, and the GIN indexes'
pending lists merged) before anything is timed, as autovacuum would have done
on a real server; without statistics the planner's figures say nothing. The
machine's load average (``os.getloadavg``) is printed before and after the
timings: on a shared machine it says how far to trust them.

The plans of the engine's statements are printed (``EXPLAIN QUERY PLAN`` /
``EXPLAIN ANALYZE``) so one can see the full-text index choose the candidates.
Nothing here is asserted: the figures go in the README.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Words in most documents, timed apart from the query set above: the party's
# name (in every real record), its name's other half and a region's name.
HEAVY_WORDS = ("партия", "отан", "алматы", "облысы")
ACCESS_MIX = [("public", 40), ("members", 20), ("organisation", 35), ("restricted", 5)]
TYPES = ["circular", "decision", "resolution", "minutes", "order", "report", "other"]
TARGET_CHARS = 3000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents (default 10000)")
    parser.add_argument("--primary-organisations", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--stock-queries",
        type=int,
        default=None,
        help="queries for stock Wagtail (default: 20 at 10k, 10 above)",
    )
    parser.add_argument(
        "--stock-timeout", type=float, default=30.0, help="seconds before a stock query is stopped"
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--fresh", action="store_true", help="generate the corpus again")
    parser.add_argument(
        "--without-wagtail-index",
        action="store_true",
        help="generate without Wagtail's own index (most of the time at 100k); no stock timing",
    )
    parser.add_argument("--seed", type=int, default=20260401)
    return parser.parse_args(argv)


def setup_django(args) -> Path:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / f'search-{args.docs}.sqlite3'}"
    if url.startswith("postgres"):
        create_postgres_database(url)
    elif args.fresh:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    os.environ.setdefault("SANDYQ_TEST_FILES", str(folder / "files"))
    import django

    django.setup()
    return folder


def create_postgres_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - from the CLI


# --- text --------------------------------------------------------------------------


def sentence_bank() -> dict[str, list[str]]:
    """Real sentences of the project's demo data, by language."""
    from docs_library import demo as documents_demo

    kk, ru = [], []
    for name, bucket in (("seed-article-kk.txt", kk), ("seed-article-ru.txt", ru)):
        text = (ROOT / "home" / "demo_data" / name).read_text(encoding="utf-8")
        bucket.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20)
    for spec in documents_demo.CENTRAL_DOCUMENTS + documents_demo.REGIONAL_DOCUMENTS:
        _type, language, _access, title, summary, paragraphs, _kind = spec
        bucket = ru if language == "ru" else kk
        bucket.extend([title + ".", summary, *paragraphs])
    return {"kk": kk, "ru": ru}


def vocabulary() -> dict[str, list[str]]:
    """Inflected Kazakh forms from the stemmer's word list and names from the demo tables."""
    kk = []
    wordlist = ROOT / "tests" / "search" / "data" / "kk_wordlist.tsv"
    for line in wordlist.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("form\t"):
            kk.append(line.split("\t")[0])
    for name in ("regions.tsv", "primary_names.tsv", "workplaces.tsv"):
        for line in (
            (ROOT / "home" / "demo_data" / name).read_text(encoding="utf-8").splitlines()[1:]
        ):
            kk.extend(w for w in re.findall(r"[^\W\d_{}]+", line) if len(w) > 3)
    bank = sentence_bank()
    ru = sorted({w for s in bank["ru"] for w in re.findall(r"[^\W\d_]+", s) if len(w) > 4})
    kk = sorted(set(kk))
    return {"kk": kk, "ru": ru}


class TextMaker:
    """Documents of about 3 KB: demo sentences with Zipf-distributed words mixed in."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.bank = sentence_bank()
        self.words = vocabulary()
        # Cumulative, as random.choices would add them up on every call (same draws).
        self.weights = {
            language: list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(words))))
            for language, words in self.words.items()
        }
        for words in self.words.values():
            self.random.shuffle(words)

    def text(self, language: str) -> str:
        sentences, size = [], 0
        while size < TARGET_CHARS:
            sentence = self.random.choice(self.bank[language])
            extra = self.random.choices(
                self.words[language], cum_weights=self.weights[language], k=3
            )
            sentence = f"{sentence} {' '.join(extra).capitalize()}."
            sentences.append(sentence)
            size += len(sentence) + 1
        return " ".join(sentences)

    def title(self, language: str) -> str:
        words = self.random.choices(self.words[language], cum_weights=self.weights[language], k=4)
        return " ".join(words).capitalize()


# --- generation -----------------------------------------------------------------------


def generate(args, folder: Path) -> dict:
    from tqdm import tqdm

    from django.core.management import call_command
    from django.db import transaction

    from wagtail.models import Page

    from home.demo import DemoLoader
    from home.models import organisation_page_models

    started = phase_started = time.monotonic()
    phases: dict[str, int] = {}

    def phase(name: str) -> None:
        nonlocal phase_started
        now = time.monotonic()
        phases[name] = round(now - phase_started)
        phase_started = now

    print("Migrating…", flush=True)
    call_command("migrate", verbosity=0)
    phase("migrate")
    print(f"Demo hierarchy ({args.primary_organisations} primary organisations)…", flush=True)
    with transaction.atomic():
        DemoLoader(primary_count=args.primary_organisations, stdout=io.StringIO()).load()
    organisations = list(Page.objects.type(*organisation_page_models()).specific().order_by("path"))
    libraries = make_libraries(organisations)
    phase("hierarchy")
    maker = TextMaker(args.seed)
    make_documents(args, libraries, maker)
    phase("documents")

    from search import indexing

    total = sum(queryset.count() for _m, queryset in indexing.pages_to_index(everything=True))
    jobs = os.cpu_count() or 1
    with (
        full_text_indexes_built_after(),
        tqdm(total=total, desc=f"Sandyq search entries ({jobs} jobs)", unit="page") as bar,
    ):
        indexing.rebuild(everything=True, progress=bar.update, batch_size=500, jobs=jobs)
    phase("search entries and indexes")
    if not args.without_wagtail_index:
        print("Wagtail's own index (update_index)…", flush=True)
        call_command("update_index", verbosity=0)
    phase("update_index")
    analyse()  # before the queries are counted: without statistics, each count reads the table
    phase("analyse")
    queries = pick_queries(args, maker)
    phase("queries")
    meta = {
        "docs": args.docs,
        "generated_in_s": round(time.monotonic() - started),
        "phases_s": phases,
        "update_index_s": phases["update_index"],
        "wagtail_index": not args.without_wagtail_index,
        "queries": queries,
    }
    print(f"Generated in {meta['generated_in_s']} s: {phases}", flush=True)
    meta_path(folder, args).write_text(
        json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return meta


@contextmanager
def full_text_indexes_built_after():
    """On PostgreSQL, the GIN indexes of the search text are dropped while the corpus's
    entries are written and built once afterwards (``maintenance_work_mem`` raised),
    as PostgreSQL advises for bulk loads: three GIN indexes updated row by row were
    most of loading (25–29 entries/s at 10,000). Nothing searches meanwhile; a real
    site's ``rebuild_search_index`` keeps its indexes, since search goes on answering
    during a rebuild."""
    from django.db import connection

    from search.models import SearchText

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [SearchText._meta.db_table, "% USING gin %"],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
        names = ", ".join(name for name, _definition in indexes)
        print(f"GIN indexes ({names}) built in {time.monotonic() - started:.1f} s", flush=True)


def meta_path(folder: Path, args) -> Path:
    """Where a corpus's size and queries are kept: one file per database, so a second
    PostgreSQL database is generated, not searched empty with another's queries."""
    from django.db import connection

    name = Path(connection.settings_dict["NAME"]).stem
    return folder / f"search-{args.docs}-{connection.vendor}-{name}.json"


def make_libraries(organisations):
    from tqdm import tqdm

    from django.db import transaction

    from docs_library.models import DocumentLibraryPage

    libraries = []
    with transaction.atomic():
        for organisation in tqdm(organisations, desc="Libraries", unit="page"):
            existing = DocumentLibraryPage.objects.child_of(organisation).first()
            if existing is None:
                existing = organisation.add_child(
                    instance=DocumentLibraryPage(title="Бенчмарк құжаттары", slug="bench")
                )
            libraries.append((existing, organisation))
    return libraries


def make_documents(args, libraries, maker: TextMaker) -> None:
    """Bulk-insert records as ``import_archive`` does, 500 to a transaction.

    The page rows and the records' own rows in two statements
    (``docs_library.importing``), each record's access tokens through
    ``docs_library.access.refresh_tokens`` for the whole batch; the search
    entries are built afterwards in one pass.
    """
    from tqdm import tqdm

    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from wagtail.models import Locale, Page

    from docs_library import access, importing
    from docs_library.models import DocumentPage

    rng = maker.random
    content_type = ContentType.objects.get_for_model(DocumentPage)
    locale = Locale.get_default()
    now = timezone.now()
    children = {library.pk: library.numchild for library, _org in libraries}
    sequence: Counter[tuple[int, int]] = Counter()
    levels = [level for level, _ in ACCESS_MIX]
    level_weights = [weight for _, weight in ACCESS_MIX]
    batch_size = 500
    with tqdm(total=args.docs, desc="Documents", unit="doc") as bar:
        for start in range(0, args.docs, batch_size):
            records = []
            for number in range(start, min(start + batch_size, args.docs)):
                library, organisation = libraries[rng.randrange(len(libraries))]
                children[library.pk] += 1
                language = "kk" if rng.random() < 0.6 else "ru"
                day = date(2015, 1, 1) + timedelta(days=rng.randrange(11 * 365))
                summary = maker.text(language)
                title = maker.title(language)
                slug = f"doc-{number}"
                sequence[(organisation.pk, day.year)] += 1
                has_number = rng.random() < 0.5
                records.append(
                    DocumentPage(
                        title=title,
                        draft_title=title,
                        slug=slug,
                        path=Page._get_path(library.path, library.depth + 1, children[library.pk]),
                        depth=library.depth + 1,
                        numchild=0,
                        url_path=f"{library.url_path}{slug}/",
                        content_type=content_type,
                        locale=locale,
                        live=True,
                        first_published_at=now,
                        last_published_at=now,
                        document_type=rng.choice(TYPES),
                        registration_number=(
                            f"{organisation.org_code}-{sequence[(organisation.pk, day.year)]}"
                            f"/{day.year}"
                            if has_number and organisation.org_code
                            else ""
                        ),
                        document_date=day,
                        registration_year=day.year,
                        language=language,
                        summary=summary,
                        access_level=rng.choices(levels, level_weights)[0],
                        organisation_id=organisation.pk,
                    )
                )
            with transaction.atomic():
                importing.insert_pages(records)
                access.refresh_tokens(records)
            bar.update(len(records))
    with transaction.atomic():  # the libraries' child counts, once at the end
        for library, _org in libraries:
            Page.objects.filter(pk=library.pk).update(numchild=children[library.pk])


def count_matches(query: str) -> int:
    """How many entries the full-text index matches for a query (all forms of its words)."""
    from django.db import connection

    from search.engines.database import FTS, TEXT, DatabaseEngine
    from search.query import parse

    match = DatabaseEngine().dialect.build(parse(query))
    if connection.vendor == "sqlite":
        sql = f"SELECT count(*) FROM {FTS} WHERE {FTS} MATCH %s"  # noqa: S608
    else:
        sql = f"SELECT count(*) FROM {TEXT} t WHERE t.vector @@ to_tsquery('simple', %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [match])
        return cursor.fetchone()[0]


def pick_queries(args, maker: TextMaker) -> list[str]:
    """Single words and pairs matching 0.2 %–10 % of the documents in some form.

    Half of the single words are asked in another form than the one counted
    (the stem, or the stem with a common ending), as a reader would type them.
    Pairs are two such words that occur together in at least one document.
    """
    from search import analysis

    rng = random.Random(args.seed + 1)
    low, high = max(2, args.docs // 500), max(3, args.docs // 10)
    words = {*maker.words["kk"], *maker.words["ru"]}
    words.update(word for sentences in maker.bank.values() for s in sentences for word in s.split())
    candidates = sorted({token for word in words for token in analysis.tokenise(word)} - {""})
    candidates = [token for token in candidates if token.isalpha() and len(token) >= 4]
    rng.shuffle(candidates)
    singles: list[str] = []
    for word in candidates:
        if len(singles) >= int(args.queries * 0.75):
            break
        if len(singles) % 2:
            stem = analysis.stem_kk(word)
            if len(stem) >= 4 and stem != word:
                word = stem + rng.choice(["", "лар", "тың", "ға", "ы"])
        if low <= count_matches(word) <= high:
            singles.append(word)
    queries = list(singles)
    for _attempt in range(2000):
        if len(queries) >= args.queries:
            break
        pair = " ".join(rng.sample(singles, 2))
        if count_matches(pair):
            queries.append(pair)
    return queries


# --- measuring --------------------------------------------------------------------------


def analyse() -> None:
    """Fresh planner statistics after loading, as autovacuum would leave them.

    New GIN entries wait in the index's pending list, which the planner prices
    as a full read; autovacuum merges it on a real server. Nothing is done on
    SQLite: its engine's plans do not depend on statistics.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        for index in ("search_text_vector", "search_text_words", "search_text_keys"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE")
    print(f"ANALYZE after loading: {time.monotonic() - started:.1f} s", flush=True)


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_together(functions: dict, queries, passes: int) -> dict[str, list[float]]:
    """Each query timed as the median of ``passes`` runs after a warm-up, per system.

    The systems take turns: the floor, the engine and the service are timed
    one after the other on the same query, pass by pass, so that whatever
    else the machine does during the minutes of a run weighs on all three
    alike and their ratios stay meaningful.
    """
    from tqdm import tqdm

    timings: dict[str, list[float]] = {label: [] for label in functions}
    for query in tqdm(queries, desc="searching", unit="query", leave=False):
        runs: dict[str, list[float]] = {label: [] for label in functions}
        for function in functions.values():
            function(query)  # warm-up
        for _ in range(passes):
            for label, function in functions.items():
                if hasattr(function, "prepare"):  # what happens before a search, untimed
                    function.prepare()
                started = time.perf_counter()
                function(query)
                runs[label].append((time.perf_counter() - started) * 1000)
        for label, values in runs.items():
            timings[label].append(statistics.median(values))
    return timings


def staff_user():
    """A member of staff holding Reader on three regions and one primary organisation."""
    from django.contrib.auth import get_user_model

    from home import roles
    from home.models import PrimaryOrganisationPage, RegionalBranchPage

    user, created = get_user_model().objects.get_or_create(username="bench.staff")
    if created:
        for region in RegionalBranchPage.objects.order_by("path")[:3]:
            roles.grant(roles.READER, user, region)
        primary = PrimaryOrganisationPage.objects.order_by("-path").first()
        if primary is not None:
            roles.grant(roles.READER, user, primary)
    return user


def capped(function, seconds: float):
    """Run ``function(query)`` but give up after ``seconds`` (stock Wagtail at scale).

    Returns the elapsed milliseconds, or ``None`` when the database was told to stop.
    """
    from django.db import OperationalError, connection
    from django.db.utils import DatabaseError

    def run(query):
        connection.ensure_connection()
        deadline = time.perf_counter() + seconds
        if connection.vendor == "sqlite":
            raw = connection.connection
            raw.set_progress_handler(lambda: int(time.perf_counter() > deadline), 100_000)
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
        started = time.perf_counter()
        try:
            function(query)
            return (time.perf_counter() - started) * 1000
        except (OperationalError, DatabaseError):
            return None
        finally:
            if connection.vendor == "sqlite":
                connection.connection.set_progress_handler(None, 0)
            else:
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = 0")

    return run


def run(args):
    folder = setup_django(args)
    from django.db import connection

    from wagtail.models import Page

    from search import service
    from search.engines import get_engine
    from search.engines.base import EngineRequest, SearchFilters
    from search.engines.database import FTS, TEXT
    from search.query import parse

    kept = meta_path(folder, args)
    if args.fresh or not kept.exists():
        meta = generate(args, folder)
    else:
        meta = json.loads(kept.read_text(encoding="utf-8"))
        print(f"Reusing the corpus in {connection.settings_dict['NAME']} (--fresh to rebuild)")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # a corpus made by older code gains new columns
        analyse()
    queries = meta["queries"][: args.queries]
    user = staff_user()
    engine = get_engine()
    tokens = service.tokens_for(user, service.ARCHIVE)

    def engine_request(query):
        return EngineRequest(query=parse(query), tokens=tokens, filters=SearchFilters())

    if connection.vendor == "sqlite":
        floor_sql = (
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s "  # noqa: S608
            f"ORDER BY bm25({FTS}) LIMIT 10"
        )
    else:
        floor_sql = (
            f"SELECT page_id FROM {TEXT} WHERE vector @@ to_tsquery('simple', %s) "  # noqa: S608
            "ORDER BY ts_rank(vector, to_tsquery('simple', %s)) DESC LIMIT 10"
        )

    def floor(query):
        match = engine.dialect.build(parse(query))
        params = [match] if connection.vendor == "sqlite" else [match, match]
        with connection.cursor() as cursor:
            cursor.execute(floor_sql, params)
            return cursor.fetchall()

    def forced_floor(query):
        # The same statement with sequential scans priced out: the GIN path.
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            try:
                return floor(query)
            finally:
                cursor.execute("RESET enable_seqscan")

    def engine_only(query):
        return engine.search(engine_request(query))

    from django.test import RequestFactory

    def full_service(query):
        # As the archive view calls it: one request per search, which Wagtail
        # uses to remember the site's root paths while making the links.
        request = RequestFactory(SERVER_NAME="localhost").get("/kk/search/archive/", {"q": query})
        request.user = user
        return service.search(user, query, scope=service.ARCHIVE, request=request)

    def stock(query):
        return list(Page.objects.live().search(query)[:10])

    stock_count = args.stock_queries
    if stock_count is None:
        stock_count = 20 if args.docs <= 10_000 else 10
    if not meta.get("wagtail_index", True):
        stock_count = 0  # generated --without-wagtail-index: stock Wagtail has nothing to search
    stock_queries = queries[:: max(1, len(queries) // max(stock_count, 1))][:stock_count]
    hits = [engine_only(query).total for query in queries]
    print(
        f"\n{args.docs:,} documents on {connection.vendor}; {len(queries)} queries, "
        f"matches visible to the staff user per query: median {statistics.median(hits):.0f}, "
        f"max {max(hits)}; median of {args.passes} passes each after a warm-up"
    )
    postgres = connection.vendor == "postgresql"
    systems = {"floor": floor, "engine": engine_only, "service": full_service}
    if postgres:
        systems = {"floor": floor, "forced": forced_floor, **systems}
    load_before = load()
    timings = measure_together(systems, queries, args.passes)
    print(f"load average (1 / 5 / 15 min): before {load_before}, after {load()}")
    header = "| system | p50 ms | p95 ms | p50 / floor | p95 / floor |"
    if postgres:
        header += " p50 / forced floor | p95 / forced floor |"
    print(f"\n{header}\n|{'---|' * (header.count('|') - 1)}")
    forced = timings.get("forced")

    def row(label, times, base):
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        line = f"| {label} | {p50:.2f} | {p95:.2f} |"
        for floor_times in (base, forced if base is timings["floor"] else None):
            if floor_times is not None:
                b50, b95 = percentile(floor_times, 0.5), percentile(floor_times, 0.95)
                line += f" {p50 / b50:.1f}× | {p95 / b95:.1f}× |"
        print(line)

    base = timings["floor"]
    row("raw floor: FTS match + rank, top 10", base, base)
    if postgres:
        row("raw floor, index forced (enable_seqscan = off)", forced, base)
    row("engine: + access filter + facets", timings["engine"], base)
    row("service: + pages, links, snippets", timings["service"], base)
    heavy_words(systems, args, count_matches)
    if not stock_queries:
        explain(engine, engine_request(queries[0]))
        return
    stock_base = measure_together({"floor": floor}, stock_queries, args.passes)["floor"]
    limit = args.stock_timeout
    stock_times = []
    for query in stock_queries:
        elapsed = capped(stock, limit)(query)
        stock_times.append(elapsed if elapsed is not None else limit * 1000)
    stopped = sum(
        1 for query, ms in zip(stock_queries, stock_times, strict=True) if ms >= limit * 1000
    )
    row(
        f"stock Wagtail .search()[:10], {len(stock_queries)} queries"
        + (f", {stopped} stopped at {limit:.0f} s" if stopped else ""),
        stock_times,
        stock_base,
    )
    if "generated_in_s" in meta:
        print(
            f"\ncorpus generated in {meta['generated_in_s']} s "
            f"(of which Wagtail's update_index: {meta['update_index_s']} s)"
        )
    explain(engine, engine_request(queries[0]))


# An edit of one document, as the index's change logs and triggers see it.
EDIT_ONE_ENTRY = (
    "UPDATE search_searchentry SET language = language "
    "WHERE page_id = (SELECT max(page_id) FROM search_searchentry)"
)


def heavy_words(systems: dict, args, count) -> None:
    """The heavy-word tier: per word, its matches and each system's median, ms.

    On SQLite the engine keeps a heavy query's ids between searches
    (``search.engines.columns.FoundIds``), so after the warm-up the engine
    and service columns time a repeated search; the two "first" columns drop
    the kept ids before each run and time a word's first search since the
    last change (the arrays themselves stay loaded). They run last in each
    pass, and keep the ids again, so the repeated columns stay repeated.
    "service, after an edit" changes one entry first: the kept lists are
    patched for that page, not listed again.
    On PostgreSQL a heavy query's answer is kept (``search.engines.kept``) in
    this process's memory cache (the test settings'; production's Redis adds
    a round trip): the repeated columns are a kept answer, the "first" ones
    run the statement with nothing kept or looked up. "service, after an
    edit" changes one entry first, untimed, and lets the refresh that the
    change schedules run (``search.engines.kept``, "Answered again after a
    change"; a worker's task on a site), as a reader who comes a moment after
    a publish finds it.
    """
    from django.db import connection
    from django.test import override_settings

    systems = dict(systems)
    if connection.vendor == "sqlite":
        from search.engines.columns import columns_for

        def first(function):
            def run(query):
                store = columns_for(connection)
                with store.lock:
                    store.found.clear()
                return function(query)

            return run

        def after_an_edit(function):
            def run(query):
                with connection.cursor() as cursor:  # one document edited: one log row
                    cursor.execute(EDIT_ONE_ENTRY)
                return function(query)

            return run

        systems["engine, first"] = first(systems["engine"])
        systems["service, first"] = first(systems["service"])
        systems["service, after an edit"] = after_an_edit(systems["service"])
    elif connection.vendor == "postgresql":

        def first(function):
            def run(query):
                with override_settings(SANDYQ_SEARCH_CACHE_SECONDS=0):
                    return function(query)

            return run

        refreshes: list[float] = []

        def edit_and_refresh():
            """One document edited; the refresh its commit schedules runs at once
            (the test settings' immediate tasks), as a worker would run it."""
            from django.db import transaction

            from search.tasks import index_changed

            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(EDIT_ONE_ENTRY)
                index_changed()
            refreshes.append((time.perf_counter() - started) * 1000)

        def after_an_edit(function):
            def run(query):
                return function(query)

            run.prepare = edit_and_refresh
            return run

        systems["engine, first"] = first(systems["engine"])
        systems["service, first"] = first(systems["service"])
        systems["service, after an edit"] = after_an_edit(systems["service"])
    started = load()
    with override_settings(SANDYQ_SEARCH_REFRESHED_QUERIES=20):
        timings = measure_together(systems, list(HEAVY_WORDS), args.passes)
    print(f"\nHeavy words (load average before {started}, after {load()}):")
    labels = list(systems)
    print(f"\n| word | matches | {' | '.join(labels)} |\n|{'---|' * (len(labels) + 2)}")
    for number, word in enumerate(HEAVY_WORDS):
        cells = " | ".join(f"{timings[label][number]:.1f}" for label in labels)
        print(f"| {word} | {count(word):,} | {cells} |")
    if connection.vendor == "postgresql":
        print(
            f"\nAn edit and the refresh of the heavy queries asked lately after it: median "
            f"{statistics.median(refreshes):.0f} ms, most {max(refreshes):.0f} ms "
            f"(in the background on a site: a worker's task)"
        )


def explain(engine, request) -> None:
    """Print the plans of the statements a search runs: the full-text index must come first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"\nQuery plans for «{request.query.text}» ({type(engine).__name__}):")
    if connection.vendor == "sqlite":
        with CaptureQueriesContext(connection) as queries:
            engine.search(request)
        statements = [(query["sql"], []) for query in queries.captured_queries]
    else:
        statements = [engine.statement(request)]
    from search.engines.database import planned

    with planned(engine.dialect) as cursor:  # as the engine runs them
        for sql, params in statements:
            if connection.vendor == "sqlite":
                if sql.startswith("PRAGMA"):
                    continue
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                lines = [row[-1] for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
                lines = [row[0] for row in cursor.fetchall()]
            print(f"  {sql[:100]}{'…' if len(sql) > 100 else ''}")
            for line in lines:
                print(f"    {line}")


if __name__ == "__main__":
    run(parse_args())
