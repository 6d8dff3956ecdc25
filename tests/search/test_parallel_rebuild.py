"""A rebuild in several processes writes the index one process writes, and stops cleanly.

The workers are forked from the test process, so a function patched here is
the one they run.
"""

import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from django.core.management import CommandError, call_command

from search import indexing
from search.models import SearchEntry, SearchText

pytestmark = pytest.mark.django_db


def index_rows():
    entries = list(SearchEntry.objects.order_by("page_id").values())
    texts = list(SearchText.objects.order_by("entry_id").values())
    for entry in entries:
        entry.pop("indexed_at")
    return entries, texts


def test_two_processes_write_the_same_entries_and_texts_as_one(party):
    indexing.rebuild(everything=True, jobs=1)
    one = index_rows()
    assert len(one[0]) > 10 and any(text["text_keys"] for text in one[1])
    SearchEntry.objects.all().delete()
    # Small batches: several are in flight while the parent writes the last one.
    progress = []
    counts = indexing.rebuild(everything=True, jobs=2, batch_size=3, progress=progress.append)
    assert index_rows() == one
    assert counts["written"] == sum(progress) == len(one[0])


def test_the_command_takes_jobs(party, capsys):
    SearchEntry.objects.all().delete()
    call_command("rebuild_search_index", "--jobs", "2", verbosity=0)
    assert SearchEntry.objects.count() == SearchText.objects.count() > 10
    assert "entries written" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--jobs"):
        call_command("rebuild_search_index", "--jobs", "0")


def _failing_on(title_word, failure):
    analysed = indexing._analysed

    def analyse(title, body, language):
        if title_word in title:
            failure()
        return analysed(title, body, language)

    return analyse


def _raise():
    raise ValueError("the analysis failed")


@pytest.mark.parametrize(
    "failure, error",
    [(_raise, ValueError), (lambda: os._exit(3), BrokenProcessPool)],
    ids=["an exception", "a worker that dies"],
)
def test_a_failing_worker_stops_the_rebuild_with_its_error(party, monkeypatch, failure, error):
    """The parent raises (it does not wait for a result that never comes), no
    worker is left behind, and the entries already written are whole."""
    monkeypatch.setattr(indexing, "_analysed", _failing_on("хаттама", failure))
    SearchEntry.objects.all().delete()
    with pytest.raises(error):
        indexing.rebuild(everything=True, jobs=2, batch_size=2)
    assert multiprocessing.active_children() == []
    assert SearchEntry.objects.count() == SearchText.objects.count()
    assert not SearchEntry.objects.filter(title__icontains="хаттама").exists()


def test_ctrl_c_stops_the_rebuild_without_leaving_workers(party):
    def interrupt(count):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        indexing.rebuild(everything=True, jobs=2, batch_size=2, progress=interrupt)
    assert multiprocessing.active_children() == []


def test_the_command_reports_an_interruption_and_a_dead_worker_plainly(party, monkeypatch):
    """Not a traceback: what happened, what was kept and what to do."""
    written = []

    def interrupted(pages, *args, **kwargs):
        if written:
            raise KeyboardInterrupt
        written.append(len(pages))
        return write(pages, *args, **kwargs)

    write = indexing._write_batch
    monkeypatch.setattr(indexing, "_write_batch", interrupted)
    SearchEntry.objects.all().delete()
    with pytest.raises(CommandError, match="those are kept") as raised:
        call_command("rebuild_search_index", "--jobs", "2", "--batch-size", "2", verbosity=0)
    assert f"Interrupted after {written[0]} of " in str(raised.value)
    assert SearchEntry.objects.count() == written[0] > 0
    monkeypatch.setattr(indexing, "_write_batch", write)
    monkeypatch.setattr(indexing, "_analysed", _failing_on("хаттама", lambda: os._exit(3)))
    with pytest.raises(CommandError, match="An analysis process died .* --all to write the rest"):
        call_command("rebuild_search_index", "--all", "--jobs", "2", verbosity=0)
    assert multiprocessing.active_children() == []
