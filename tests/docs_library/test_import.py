"""``import_archive``: a folder of an organisation's old files becomes published records."""

import datetime
import io
import os
import unicodedata

import pytest

from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from wagtail.models import PageLogEntry

from docs_library.models import DocumentPage, LibraryDocument
from tests.docs_library import samples

PDF_NAME = "Шешім №5 Қарағанды облысы.pdf"
# "қайта" has a "й", which a Mac stores decomposed (NFD) in file names.
DOCX_NAME = "Хаттама (қайта қаралған).docx"


@pytest.fixture
def archive(tmp_path):
    """Two good files, two the upload checks refuse, and what a Mac or git leaves behind."""
    folder = tmp_path / "мұрағат"
    (folder / "2024").mkdir(parents=True)
    (folder / ".git").mkdir()
    samples.write(folder, PDF_NAME, samples.kazakh_pdf())
    samples.write(folder / "2024", unicodedata.normalize("NFD", DOCX_NAME), samples.kazakh_docx())
    samples.write(folder, "есеп.pdf", samples.HTML)
    samples.write(folder, "бос.pdf", b"")
    samples.write(folder, ".DS_Store", b"\x00\x00\x00\x01Bud1")
    samples.write(folder / ".git", "old.pdf", samples.kazakh_pdf())
    return folder


def run(folder, *args):
    """Run the command as an administrator would, in English; return what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_archive", str(folder), *args, stdout=out, stderr=err)
    return out.getvalue()


def stored_files():
    """Every file in private storage, to prove a failed import leaves none behind."""
    root = settings.PRIVATE_MEDIA_ROOT
    return {
        os.path.join(directory, name) for directory, _dirs, names in os.walk(root) for name in names
    }


def test_a_folder_becomes_published_records_and_refused_files_are_listed(archive, library):
    output = run(archive, "--library", str(library.pk))

    assert "Imported 2, skipped 0, failed 2." in output
    assert "бос.pdf: The file is empty." in output
    assert "есеп.pdf: HTML files cannot be uploaded." in output
    assert "DS_Store" not in output and "old.pdf" not in output

    records = {record.title: record for record in DocumentPage.objects.child_of(library)}
    assert set(records) == {"Шешім №5 Қарағанды облысы", "Хаттама (қайта қаралған)"}
    for record in records.values():
        assert record.live
        assert record.organisation.specific == library.get_parent().specific
        assert record.access_level == library.default_access_level
        assert record.document_type == library.default_document_type
        assert record.revisions.count() == 1
        actions = set(PageLogEntry.objects.filter(page=record).values_list("action", flat=True))
        assert {"wagtail.create", "wagtail.publish"} <= actions

    pdf = records["Шешім №5 Қарағанды облысы"].main_file
    assert pdf.filename == PDF_NAME
    # In the organisation's collection, so its editors can manage the file in the admin.
    assert pdf.collection == library.get_parent().specific.collection
    assert "Қаһарман еңбегі" in pdf.extracted_text
    docx = records["Хаттама (қайта қаралған)"].main_file
    assert docx.filename == DOCX_NAME  # stored in NFC, whatever the disk had
    assert samples.KAZAKH_TABLE_TEXT in docx.extracted_text
    assert LibraryDocument.objects.count() == 2  # refused files left nothing behind


def test_running_again_skips_what_is_already_there(archive, library):
    run(archive, "--library", str(library.pk))
    (archive / "2024" / "копия.pdf").write_bytes(samples.kazakh_pdf())  # same content, new name

    output = run(archive, "--library", str(library.pk))

    assert "Imported 0, skipped 3, failed 2." in output
    assert DocumentPage.objects.count() == 2
    assert LibraryDocument.objects.count() == 2


def test_metadata_from_a_csv_fills_the_records(archive, library, admin_user):
    metadata = archive.parent / "тізім.csv"
    metadata.write_text(
        "\ufefffile;title;document_type;registration_number;document_date;language;"
        "summary;access_level;keywords\n"
        f"{PDF_NAME};Облыстық кеңестің шешімі;decision;02-05/17;15.03.2024;kk;"
        "Бастауыш ұйымдарға;public;шешім, кеңес\n"
        f"2024/{DOCX_NAME};;minutes;;2024-04-01;;;;\n"
        "жоқ-файл.pdf;Жоқ;;;;;;;\n",
        encoding="utf-8",
    )

    output = run(archive, "--library", str(library.pk), "--metadata", str(metadata))

    assert "Imported 2, skipped 0, failed 2." in output
    assert "Metadata rows that match no file (1):" in output and "жоқ-файл.pdf" in output
    decision = DocumentPage.objects.get(registration_number="02-05/17")
    assert decision.title == "Облыстық кеңестің шешімі"
    assert decision.document_type == "decision"
    assert decision.document_date == datetime.date(2024, 3, 15)
    assert decision.access_level == "public"
    assert decision.summary == "Бастауыш ұйымдарға"
    assert set(decision.keywords.names()) == {"шешім", "кеңес"}
    minutes = DocumentPage.objects.get(document_type="minutes")
    assert minutes.title == "Хаттама (қайта қаралған)"  # no title in the row: the file name
    assert minutes.document_date == datetime.date(2024, 4, 1)


def test_without_metadata_dates_and_languages_come_from_the_files(tmp_path, library):
    # Not today's date and Kazakh for everything: a decade of paper would land
    # in this year's facet, and Russian titles would be analysed as Kazakh.
    samples.write(tmp_path, "Хаттама 12.05.2019.pdf", samples.kazakh_pdf())
    samples.write(tmp_path, "Решение 2021-03-04.pdf", samples.russian_pdf())
    samples.write(tmp_path, "Қаулы 31.02.2020.pdf", samples.kazakh_pdf(pages=2))  # no such day
    samples.write(tmp_path, "scan.pdf", samples.scanned_pdf())
    old = datetime.datetime(2016, 9, 1, 12, tzinfo=datetime.UTC).timestamp()
    os.utime(tmp_path / "Қаулы 31.02.2020.pdf", (old, old))
    os.utime(tmp_path / "scan.pdf", (old, old))

    output = run(tmp_path, "--library", str(library.pk))

    assert "Imported 4, skipped 0, failed 0." in output
    assert "1 record(s) without a text layer" in output
    records = {record.title: record for record in DocumentPage.objects.child_of(library)}
    assert records["Хаттама 12.05.2019"].document_date == datetime.date(2019, 5, 12)
    assert records["Хаттама 12.05.2019"].language == "kk"
    assert records["Решение 2021-03-04"].document_date == datetime.date(2021, 3, 4)
    assert records["Решение 2021-03-04"].language == "ru"
    assert records["Решение 2021-03-04"].registration_year == 2021
    assert records["Қаулы 31.02.2020"].document_date == datetime.date(2016, 9, 1)  # its mtime
    assert records["scan"].document_date == datetime.date(2016, 9, 1)
    assert records["scan"].language == "kk"  # no text layer: the default, and said so


def test_a_record_that_cannot_be_saved_leaves_no_file_behind(tmp_path, library):
    folder = tmp_path / "екі"
    folder.mkdir()
    samples.write(folder, "a.pdf", samples.kazakh_pdf())
    samples.write(folder, "b.pdf", samples.russian_pdf())
    samples.write(folder, "c.pdf", samples.kazakh_pdf(pages=2))
    metadata = tmp_path / "meta.csv"
    metadata.write_text(
        "file,registration_number,document_date,document_type\n"
        "a.pdf,7,2024-01-10,decision\n"
        "b.pdf,7,2024-06-01,decision\n"  # the same number in the same year
        "c.pdf,8,2024-06-01,верdict\n",
        encoding="utf-8",
    )
    before = stored_files()

    output = run(folder, "--library", str(library.pk), "--metadata", str(metadata))

    assert "Imported 1, skipped 0, failed 2." in output
    assert "b.pdf: This registration number is already used" in output
    assert "c.pdf: Unknown document type 'верdict'" in output
    kept = DocumentPage.objects.get()
    assert LibraryDocument.objects.get() == kept.main_file
    new_files = stored_files() - before
    assert {os.path.basename(path) for path in new_files} == {
        os.path.basename(kept.main_file.file.name),
        os.path.basename(kept.main_file.preview.name),
    }


@pytest.mark.parametrize(
    "address",
    [
        "/kk/қарағанды-облысы/әуезов-ауданы/игілік-бпұ/хаттамалар/",
        "қарағанды-облысы/әуезов-ауданы/игілік-бпұ/хаттамалар",
        "/home/қарағанды-облысы/әуезов-ауданы/игілік-бпұ/хаттамалар/",
        "percent-encoded",
    ],
)
def test_the_library_is_found_by_the_address_people_paste(tmp_path, library, address):
    if address == "percent-encoded":
        address = f"http://localhost{library.url}"
        assert "%D2%9B" in address  # қ, as a browser's address bar copies it
    samples.write(tmp_path, "Қаулы.pdf", samples.kazakh_pdf())

    output = run(tmp_path, "--library", address)

    assert "Imported 1," in output
    assert DocumentPage.objects.child_of(library).get().title == "Қаулы"


def test_access_level_and_user_given_on_the_command_line(tmp_path, library, admin_user):
    samples.write(tmp_path, "Қаулы.pdf", samples.kazakh_pdf())

    run(tmp_path, "--library", str(library.pk), "--access", "members", "--user", "admin.user")

    record = DocumentPage.objects.get()
    assert record.access_level == "members"
    assert record.owner == admin_user
    assert record.main_file.uploaded_by_user == admin_user
    assert record.get_latest_revision().user == admin_user


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--access", "secret"], "Unknown access level 'secret'"),
        (["--library", "/kk/жоқ-бет/"], "No page found"),
        (["--user", "nobody"], "No user named 'nobody'"),
        (["--metadata", "missing.csv"], "does not exist"),
    ],
)
def test_bad_arguments_stop_before_anything_is_imported(tmp_path, library, arguments, message):
    samples.write(tmp_path, "Қаулы.pdf", samples.kazakh_pdf())
    if "--library" not in arguments:
        arguments = ["--library", str(library.pk), *arguments]

    with pytest.raises(CommandError, match=message):
        run(tmp_path, *arguments)
    assert not LibraryDocument.objects.exists()


def test_a_page_that_is_not_a_library_is_refused(tmp_path, tree):
    with pytest.raises(CommandError, match="not a document library"):
        run(tmp_path, "--library", str(tree["region"].pk))


def test_a_missing_folder_is_refused(tmp_path, library):
    with pytest.raises(CommandError, match="is not a folder"):
        run(tmp_path / "жоқ", "--library", str(library.pk))


def test_a_csv_with_an_unknown_column_is_refused(tmp_path, library):
    metadata = tmp_path / "meta.csv"
    metadata.write_text("file,title,nomer\nа.pdf,А,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown: nomer"):
        run(tmp_path, "--library", str(library.pk), "--metadata", str(metadata))


# --- at archive scale: batches, search, the admin, resuming, the page cache ---------------

WORD = "зангартау"  # in every generated file, in no other text; no Kazakh-only letter


def text_files(folder, count, start=0):
    """``count`` one-paragraph text files, Kazakh and Russian, as an old drive holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(start, start + count):
        if number % 2:
            body = f"Облыстық кеңестің {number}-отырысының хаттамасы. {WORD} партия жиналысы."
        else:
            body = f"Протокол заседания № {number} областного совета. {WORD} собрание партии."
        (folder / f"Хаттама {number} 0{number % 9 + 1}.03.2019.txt").write_text(body, "utf-8")
    return folder


@pytest.fixture
def people(tree, library):
    from django.contrib.auth import get_user_model

    from home import roles
    from tests.factories import PrimaryFactory

    sibling = PrimaryFactory(parent=tree["district"], title="«Береке» БПҰ")
    users = get_user_model().objects
    reader = users.create_user("own.reader", password="x")  # noqa: S106
    sibling_reader = users.create_user("sibling.reader", password="x")  # noqa: S106
    editor = users.create_user("own.editor", password="x")  # noqa: S106
    roles.grant(roles.READER, reader, tree["primary"])
    roles.grant(roles.READER, sibling_reader, sibling)
    roles.grant(roles.EDITOR, editor, tree["primary"])
    return {"reader": reader, "sibling": sibling_reader, "editor": editor}


def test_imported_records_are_found_by_their_organisations_readers_only(tmp_path, library, people):
    from django.contrib.auth.models import AnonymousUser

    from docs_library import access
    from docs_library.models import DocumentAccess
    from search import service

    text_files(tmp_path / "files", 5)
    output = run(tmp_path / "files", "--library", str(library.pk), "--access", "organisation")
    assert "Imported 5, skipped 0, failed 0." in output

    def found(user):
        results = service.search(user, WORD, scope=service.ARCHIVE, per_page=50)
        return {result.title for result in results.results}

    titles = set(DocumentPage.objects.child_of(library).values_list("title", flat=True))
    assert len(titles) == 5
    assert found(people["reader"]) == titles
    assert found(people["sibling"]) == set()
    assert found(AnonymousUser()) == set()
    for record in DocumentPage.objects.child_of(library):
        stored = set(DocumentAccess.objects.filter(page=record).values_list("token", flat=True))
        assert stored == access.record_tokens(record)
        assert record.language == ("kk" if "хаттамасы" in record.main_file.extracted_text else "ru")


def test_imported_records_are_in_the_admin_explorer_and_search_of_the_editor(
    client, tmp_path, library, people
):
    text_files(tmp_path / "files", 3)
    run(tmp_path / "files", "--library", str(library.pk))
    client.force_login(people["editor"])

    explorer = client.get(f"/admin/pages/{library.pk}/").content.decode()
    searched = client.get("/admin/pages/search/", {"q": "Хаттама 1"}).content.decode()
    record = DocumentPage.objects.get(title="Хаттама 1 02.03.2019")
    edit = client.get(f"/admin/pages/{record.pk}/edit/")
    history = client.get(f"/admin/pages/{record.pk}/history/").content.decode()

    for number in range(3):
        assert f"Хаттама {number} 0{number + 1}.03.2019" in explorer
    assert "Хаттама 1 02.03.2019" in searched  # Wagtail's own index, as the admin reads it
    assert edit.status_code == 200
    assert "Хаттама 1 02.03.2019" in edit.content.decode()
    assert history.count("Хаттама 1 02.03.2019") >= 1


def test_batches_continue_the_library_and_make_whole_records(tmp_path, library):
    from django.db import transaction

    from wagtail.models import ReferenceIndex, Revision

    from search.models import SearchEntry

    text_files(tmp_path / "first", 1)
    run(tmp_path / "first", "--library", str(library.pk))
    text_files(tmp_path / "second", 5, start=1)

    output = run(tmp_path / "second", "--library", str(library.pk), "--batch-size", "2")

    assert "Imported 5, skipped 0, failed 0." in output
    library.refresh_from_db()
    records = list(DocumentPage.objects.child_of(library).select_related("main_file"))
    assert len(records) == 6 == library.numchild
    assert len({record.path for record in records}) == 6
    assert len({record.slug for record in records}) == 6
    for record in records:
        assert record.live and not record.has_unpublished_changes
        assert record.url_path == f"{library.url_path}{record.slug}/"
        assert record.latest_revision_id == record.live_revision_id
        assert Revision.objects.filter(object_id=str(record.pk)).count() == 1
        assert record.get_latest_revision().as_object().title == record.title
        actions = list(PageLogEntry.objects.filter(page=record).values_list("action", flat=True))
        assert sorted(actions) == ["wagtail.create", "wagtail.publish"]
        assert record.main_file.extraction_status == "done"
        assert WORD in record.main_file.extracted_text
        assert record.document_date == datetime.date(2019, 3, int(record.title[-10:-8]))
    assert SearchEntry.objects.filter(page__in=records).count() == 6
    # The file's "Usage" in the admin: the references Wagtail itself would store.
    for record in records[1:]:
        references = ReferenceIndex.objects.filter(object_id=str(record.pk))
        fields = ("content_type", "base_content_type", "to_content_type", "to_object_id")
        written = set(references.values_list(*fields, "model_path", "content_path_hash"))
        assert (str(record.main_file_id), "main_file") in {(r[3], r[4]) for r in written}
        references.delete()
        with transaction.atomic():
            ReferenceIndex.create_or_update_for_object(record)
        assert written == set(references.values_list(*fields, "model_path", "content_path_hash"))
    assert list(library.get_children().order_by("path").values_list("pk", flat=True)) == sorted(
        record.pk for record in records
    )


def test_an_import_stopped_between_batches_continues_without_duplicates(
    tmp_path, library, monkeypatch
):
    from docs_library import importing

    folder = text_files(tmp_path / "files", 5)
    before = stored_files()
    written = importing.write_batch
    calls = []

    def stopped_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the administrator's Ctrl-C
        return written(*args, **kwargs)

    monkeypatch.setattr(importing, "write_batch", stopped_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(folder, "--library", str(library.pk), "--batch-size", "2")

    assert DocumentPage.objects.child_of(library).count() == 2
    assert LibraryDocument.objects.count() == 2
    assert len(stored_files() - before) == 2  # the unwritten batch left no file
    monkeypatch.setattr(importing, "write_batch", written)

    output = run(folder, "--library", str(library.pk), "--batch-size", "2")

    assert "Imported 3, skipped 2, failed 0." in output
    records = DocumentPage.objects.child_of(library)
    assert records.count() == 5
    assert len(set(records.values_list("main_file__sha256", flat=True))) == 5
    assert LibraryDocument.objects.count() == 5


def test_a_bad_file_inside_a_batch_is_refused_alone(tmp_path, library):
    folder = text_files(tmp_path / "files", 4)
    samples.write(folder, "Хаттама 1 bad.txt", samples.HTML)  # HTML under a .txt name
    samples.write(folder, "Хаттама 2 bad.txt", b"")
    (folder / "Хаттама 3 bad.txt").write_bytes("қате".encode("utf-16"))  # not UTF-8

    output = run(folder, "--library", str(library.pk), "--batch-size", "3")

    assert "Imported 4, skipped 0, failed 3." in output
    assert "Хаттама 2 bad.txt: The file is empty." in output
    assert DocumentPage.objects.child_of(library).count() == LibraryDocument.objects.count() == 4


def test_the_page_cache_is_purged_once_at_the_end(client, settings, tmp_path, library, monkeypatch):
    from home import page_cache

    settings.SANDYQ_PAGE_CACHE_SECONDS = 600
    library.default_access_level = "public"
    library.save_revision().publish()
    url = library.get_url()
    assert client.get(url).get(page_cache.HEADER) == "miss"
    assert client.get(url).get(page_cache.HEADER) == "hit"
    bumps = []
    bump = page_cache._bump
    monkeypatch.setattr(page_cache, "_bump", lambda: (bumps.append(1), bump()))

    run(text_files(tmp_path / "files", 5), "--library", str(library.pk), "--batch-size", "2")

    assert len(bumps) == 1
    response = client.get(url)
    assert response.get(page_cache.HEADER) == "miss"
    assert "Хаттама 4 05.03.2019" in response.content.decode()
