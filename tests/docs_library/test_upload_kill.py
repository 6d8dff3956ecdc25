"""A web server killed with SIGKILL in the middle of an upload leaves no half-saved document.

A real gunicorn, started here on the test database, receives an upload
through the admin's document form from an editor of an organisation, and its
whole process group is killed: once while the file is still arriving, once
when the file is whole in the private storage and its row not yet written
(a test-only storage waits there). No row is ever half-saved; the file the
second kill leaves is named by no row, and ``clean_orphan_files`` removes it
without touching the files rows name.
"""

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import get_random_string

from docs_library.models import LibraryDocument
from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import person
from tests.factories import library_document
from tests.pausing_storage import MARK

pytestmark = pytest.mark.django_db(transaction=True)

PORTS = range(8200, 8300)  # this project's helpers' share of the machine's ports
DEADLINE = 120


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 8200-8299")


def stored_files(root) -> set[str]:
    root = Path(root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


class Server:
    """gunicorn serving the site, as production does (``gunicorn cms.wsgi``)."""

    def __init__(self, start, tmp, **env):
        self.port = free_port()
        self.tmp = tmp
        tmp.mkdir(exist_ok=True)
        self.process = start(
            command=[
                sys.executable,
                "-m",
                "gunicorn",
                "cms.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=1",
                "--timeout=300",
            ],
            TMPDIR=str(tmp),  # where Django keeps an upload while it arrives
            **env,
        )
        deadline = time.monotonic() + DEADLINE
        while True:
            assert self.process.poll() is None, self.process.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)

    def kill(self):
        """SIGKILL to the master and its worker, as the out-of-memory killer or systemd would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE)


def upload_request(port, cookies, csrf, collection, data, name, *, length=None):
    """The admin's document form as the browser posts it: headers, then the multipart body."""
    boundary = "sandyq" + get_random_string(16)

    def field(key, value):
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()

    head = (
        field("csrfmiddlewaretoken", csrf)
        + field("title", name)
        + field("collection", collection)
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    body_length = len(head) + (length or len(data)) + len(tail)
    headers = (
        f"POST {reverse('wagtaildocs:add')} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Cookie: {cookies}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {body_length}\r\n\r\n"
    ).encode()
    return headers + head, data, tail


def wait_for(condition, message):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.fixture
def session(client, tree):
    editor = person(roles.EDITOR, tree["district"], username="editor")
    client.force_login(editor)
    csrf = get_random_string(32)
    cookies = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return {
        "cookies": f"{cookies}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
        "collection": str(tree["district"].collection_id),
    }


def test_a_server_killed_mid_upload_leaves_no_document_and_no_file(start, tmp_path, session):
    # A document stored before, with its file and preview: nothing may take them.
    kept = library_document(samples.kazakh_pdf(), "Бұрынғы.pdf")
    kept.refresh_from_db()
    assert kept.preview  # read at once: the test process runs tasks immediately
    private_before = stored_files(settings.PRIVATE_MEDIA_ROOT)
    public_before = stored_files(settings.MEDIA_ROOT)

    # 1. Killed while a 40 MB file is still arriving.
    server = Server(start, tmp_path / "tmp-1")
    head, _data, _tail = upload_request(
        server.port,
        session["cookies"],
        session["csrf"],
        session["collection"],
        b"",
        "Үлкен.pdf",
        length=40 * 1024 * 1024,
    )
    connection = server.connect()
    connection.sendall(head + samples.kazakh_pdf())
    chunk = bytes(1024 * 1024)
    for _ in range(20):
        connection.sendall(chunk)

    def arriving():
        return sum(path.stat().st_size for path in server.tmp.rglob("*") if path.is_file())

    wait_for(lambda: arriving() > 10 * 1024 * 1024, "the server never started receiving")
    server.kill()
    connection.close()

    assert not LibraryDocument.objects.exclude(pk=kept.pk).exists()
    assert stored_files(settings.PRIVATE_MEDIA_ROOT) == private_before
    assert stored_files(settings.MEDIA_ROOT) == public_before
    # What is left is Django's own temporary copy, in the server's temporary folder
    # (systemd's PrivateTmp=yes empties it when the service restarts; README).
    assert all(".upload" in name for name in stored_files(server.tmp))

    # 2. Killed when the file is whole in the private storage and its row not yet written.
    mark = Path(settings.PRIVATE_MEDIA_ROOT).parent / MARK
    server = Server(
        start, tmp_path / "tmp-2", SANDYQ_PROCESS_STORAGE="tests.pausing_storage.PausingStorage"
    )
    data = samples.kazakh_pdf(pages=5)
    head, data, tail = upload_request(
        server.port, session["cookies"], session["csrf"], session["collection"], data, "Шешім.pdf"
    )
    connection = server.connect()
    connection.sendall(head + data + tail)
    wait_for(mark.exists, "the upload never reached the storage")
    server.kill()
    connection.close()

    assert not LibraryDocument.objects.exclude(pk=kept.pk).exists()  # no half-saved row
    orphans = stored_files(settings.PRIVATE_MEDIA_ROOT) - private_before
    assert orphans == {mark.read_text()}  # the file the storage wrote, named by no row

    cleaner = start("clean_orphan_files", "--older-than", "0")
    assert cleaner.wait(timeout=DEADLINE) == 0, cleaner.log.read_text()
    assert mark.read_text() in cleaner.log.read_text()
    # Left: exactly the files rows name (earlier tests' files, named by no row any
    # more since their rows were flushed, went with the orphan).
    kept.refresh_from_db()
    assert stored_files(settings.PRIVATE_MEDIA_ROOT) == {kept.file.name, kept.preview.name}

    # 3. Restarted, the server takes the same upload whole.
    server = Server(start, tmp_path / "tmp-3")
    head, data, tail = upload_request(
        server.port, session["cookies"], session["csrf"], session["collection"], data, "Шешім.pdf"
    )
    connection = server.connect()
    connection.sendall(head + data + tail)
    answer = connection.recv(4096).decode("latin-1")
    connection.close()
    assert answer.startswith("HTTP/1.1 302"), answer
    document = LibraryDocument.objects.get(original_filename="Шешім.pdf")
    assert document.file.storage.exists(document.file.name)
    with document.file.open("rb") as stored:
        assert stored.read() == data
