"""A private storage that stops after writing a file, so a test can kill the server right there.

Used only by the server process ``tests/docs_library/test_upload_kill.py``
starts (``SANDYQ_PROCESS_STORAGE``): once a document file is whole on disk and
before its row is written, it leaves a mark beside the storage and waits.
"""

import time
from pathlib import Path

from django.core.files.storage import FileSystemStorage

MARK = "stored-and-waiting"


class PausingStorage(FileSystemStorage):
    def _save(self, name, content):
        name = super()._save(name, content)
        if name.startswith("documents/"):
            (Path(self.location).parent / MARK).write_text(name)
            time.sleep(120)  # killed long before
        return name
