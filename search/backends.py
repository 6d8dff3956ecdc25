"""The Elasticsearch backend Sandyq uses when ``ELASTICSEARCH_URL`` is set.

The client's major version matches the server's: elasticsearch-py 9 talks to
Elasticsearch 9. Kazakh and Russian analysis is added here by the search issue;
until then this is Wagtail's own Elasticsearch 9 backend under Sandyq's name,
so settings never have to change.
"""

from wagtail.search.backends.elasticsearch9 import Elasticsearch9SearchBackend


class SandyqElasticsearchBackend(Elasticsearch9SearchBackend):
    pass


SearchBackend = SandyqElasticsearchBackend
