"""The engine the search service uses, chosen by settings and nowhere else.

Elasticsearch when Wagtail's default search backend is Sandyq's Elasticsearch
backend (``ELASTICSEARCH_URL`` is set); otherwise the database engine for the
database in use (SQLite FTS5 or PostgreSQL full text).
"""

from wagtail.search.backends import get_search_backend


def get_engine():
    from search.backends import SandyqElasticsearchBackend

    backend = get_search_backend()
    if isinstance(backend, SandyqElasticsearchBackend):
        from .elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(backend)
    from django.db import connection

    if connection.vendor == "sqlite":
        from .sqlite import SQLiteEngine

        return SQLiteEngine()
    from .database import DatabaseEngine

    return DatabaseEngine()
