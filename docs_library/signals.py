"""Signals docs_library sends for others (search) to answer."""

from django.dispatch import Signal

#: Sent inside the transaction that inserted a batch of records without saving
#: each one (``docs_library.importing``), so no ``post_save`` told anyone.
#: Provides: records (the new, live ``DocumentPage`` objects). ``search`` writes
#: their index entries at once.
records_imported = Signal()
