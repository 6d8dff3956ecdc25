"""Rewrite Sandyq's database search index (``SearchEntry``), with a progress bar.

Wagtail's ``update_index`` rebuilds Wagtail's own backends (its database index
and Elasticsearch); this command rebuilds the table the search service reads on
the database engine. By default it writes only what is missing or was analysed
by another ``ANALYSER_VERSION``, so running it after every deployment (as
``make run`` does) costs nothing when nothing changed; ``--all`` rewrites
everything; ``--jobs N`` analyses the text in N processes (``search.indexing.rebuild``).
Search keeps answering while it runs. It first repairs what
``search.integrity`` finds broken: entries that lost their text and, on
SQLite, an FTS5 index that lost its rows (``search.W003``).
"""

from concurrent.futures.process import BrokenProcessPool

from tqdm import tqdm

from django.core.management.base import BaseCommand, CommandError

from search import analysis, indexing, integrity


class Command(BaseCommand):
    help = "Write search entries for pages that have none or an outdated one (--all: every page)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="everything", help="rewrite every entry"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only report how many entries are missing or stale; fail if any are",
        )
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="processes that analyse the text (default 1; the number of cores is fastest)",
        )

    def handle(self, *args, everything=False, check=False, batch_size=200, jobs=1, **options):
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more")
        if check:
            health = integrity.measure()
            if health.broken:
                raise CommandError(f"Search answers from a broken index: {health.describe()}")
        else:
            # Entries that lost their text, or an FTS5 index that lost its
            # rows, count as missing and are written again below.
            repaired = integrity.repair()
            if any(repaired.values()):
                self.stdout.write(
                    f"Search index repaired: {repaired['dropped']} entries without text "
                    f"dropped, full-text index refilled from {repaired['refilled']} texts."
                )
        pairs = indexing.pages_to_index(everything=everything)
        total = sum(queryset.count() for _model, queryset in pairs)
        if check:
            if total:
                raise CommandError(
                    f"{total} search entries are missing or stale "
                    f"(analyser version {analysis.ANALYSER_VERSION})"
                )
            self.stdout.write("The search index is up to date.")
            return
        with tqdm(
            total=total,
            unit="page",
            desc="Search index",
            disable=options.get("verbosity", 1) == 0,
            file=self.stderr._out,
        ) as bar:
            done = []

            def progress(count):
                done.append(count)
                bar.update(count)

            try:
                counts = indexing.rebuild(
                    everything=everything,
                    batch_size=batch_size,
                    progress=progress,
                    pairs=pairs,
                    jobs=jobs,
                )
            except (KeyboardInterrupt, BrokenProcessPool) as error:
                # Each batch is its own transaction: what was written stays.
                reason = (
                    "Interrupted"
                    if isinstance(error, KeyboardInterrupt)
                    else ("An analysis process died (out of memory?)")
                )
                raise CommandError(
                    f"{reason} after {sum(done)} of {total} entries; those are kept. "
                    f"Run the command again{' with --all' if everything else ''} to write the rest."
                ) from error
        integrity.forget()
        self.stdout.write(
            f"Search index: {counts['written']} entries written, {counts['removed']} removed "
            f"(analyser version {analysis.ANALYSER_VERSION})."
        )
