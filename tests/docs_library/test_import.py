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
