"""The OpenAPI 3.1 description of the read API (``/api/v2/openapi.json``).

Written by hand: no maintained generator reads Wagtail's API v2 viewsets, whose
fields depend on ``?type=`` and ``?fields=``. The choices (document types,
languages, access levels), the fields each endpoint offers and orders by, and the
limits are read from the code they describe (``cms.api.openapi_schema`` passes the
viewsets in). ``tests/test_api.py`` checks that every parameter and path listed here
is the one the API answers to; ``tests/test_api_schemathesis.py`` runs schemathesis
against it. Rules that tie one parameter to another are said in words.
"""

import re

from django.conf import settings

from wagtail.documents import get_document_model
from wagtail.models import Page

from docs_library.models import AccessLevel, DocumentLanguage, DocumentType
from search import service


def _limit_max() -> int:
    return getattr(settings, "WAGTAILAPI_LIMIT_MAX", 20) or 20


def _parameter(name, description, schema, where="query", required=False):
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


#: The largest id and offset the API takes (a database integer); past it, a 400.
LARGEST = 2**31 - 1


def _id_schema() -> dict:
    return {"type": "integer", "minimum": 1, "maximum": LARGEST}


def _any_of(names) -> str:
    return "(?:" + "|".join(re.escape(name) for name in sorted(set(names))) + ")"


def _one_or_more(names, empty=False) -> str:
    """A pattern for a comma-separated list of ``names`` (or nothing, when ``empty``)."""
    listed = f"{_any_of(names)}(?:,{_any_of(names)})*"
    return f"^(?:{listed})?$" if empty else f"^{listed}$"


def _order_parameter(fields) -> dict:
    """``order``: fields Wagtail lets the endpoint order by, each perhaps descending, or
    ``random`` alone (not with an offset)."""
    field = f"-?{_any_of(fields)}"
    return _parameter(
        "order",
        "Order by one or more of these fields (`-` for descending), or `random` (not with "
        "an offset). With one `type`, its own fields too. Not with `search`.",
        # Empty: the default order.
        {"type": "string", "pattern": f"^(?:random|{field}(?:,{field})*)?$"},
    )


def _fields_parameter(fields) -> dict:
    """``fields``: the endpoint's own fields added (or removed, ``-``), after all (``*``)
    or none (``_``)."""
    name = _any_of(fields)
    after_all, after_none, mixed = f"[*](?:,-{name})*", f"_(?:,{name})*", f"-?{name}(?:,-?{name})*"
    return _parameter(
        "fields",
        "Fields to add to the default ones (`title,date`), remove (`-title`), or start "
        "from all (`*`, then only removals) or none (`_`, then only additions). With one "
        "`type`, its own fields too.",
        # Empty: the defaults.
        {"type": "string", "pattern": f"^(?:{after_all}|{after_none}|{mixed})?$"},
    )


def _common_parameters(order_fields, fields) -> list[dict]:
    return [
        _parameter(
            "limit",
            "How many items to return.",
            {"type": "integer", "minimum": 0, "maximum": _limit_max(), "default": 20},
        ),
        _parameter(
            "offset",
            "How many items to skip. With `search`, a multiple of `limit` below "
            f"{service.MAX_RESULTS_WINDOW}.",
            {"type": "integer", "minimum": 0, "maximum": LARGEST, "default": 0},
        ),
        _fields_parameter(fields),
        _order_parameter(order_fields),
        _parameter(
            "organisation",
            "Only items of this organisation and every organisation below it "
            "(the id of a published organisation page).",
            _id_schema(),
        ),
        _parameter(
            "document_type",
            "Only records of this type.",
            {"type": "string", "enum": list(DocumentType.values)},
        ),
        _parameter(
            "year",
            "Only records dated (and announcements of) this year.",
            {"type": "integer", "minimum": 1000, "maximum": 9999},
        ),
        _parameter(
            "language",
            "Only records and announcements in this language.",
            {"type": "string", "enum": list(DocumentLanguage.values)},
        ),
    ]


#: ``root`` or a page id below ``LARGEST`` (nine digits at most).
PAGE_OR_ROOT = "^(?:root|[1-9][0-9]{0,8})$"


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _listing(item_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["meta", "items"],
                    "properties": {
                        "meta": {
                            "type": "object",
                            "properties": {"total_count": {"type": "integer", "minimum": 0}},
                        },
                        "items": {"type": "array", "items": {"$ref": item_ref}},
                    },
                }
            }
        },
    }


UNAUTHORISED = {
    "description": "The token given is unknown, or its user inactive.",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
        }
    },
}


def _detail(item_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": item_ref}}},
    }


ID_PARAMETER = _parameter("id", "The item's id.", _id_schema(), "path", True)

ORGANISATION = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "integer"},
        "name_kk": {"type": "string"},
        "name_ru": {"type": "string"},
        "name_en": {"type": "string"},
    },
}

FILE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "caption": {"type": "string"},
        "mime_type": {"type": "string"},
        "main": {"type": "boolean"},
        "download_url": {
            "type": "string",
            "description": "The guarded download view (`/documents/<id>/<name>`).",
        },
    },
}


def schema(pages, documents) -> dict:
    """The description of the API whose endpoints are the viewsets ``pages`` and
    ``documents``: the fields they offer and order by are read from them."""
    document_model = get_document_model()
    page_order = pages.get_available_fields(Page, db_fields_only=True)
    document_order = documents.get_available_fields(document_model, db_fields_only=True)
    page_fields = pages.get_available_fields(Page)
    document_fields = documents.get_available_fields(document_model)
    # Lists offer every field but those shown only on one item (a page's parent).
    page_list_fields = [name for name in page_fields if name not in pages.detail_only_fields]
    document_list_fields = [
        name for name in document_fields if name not in documents.detail_only_fields
    ]
    page_types = {
        "docs_library.DocumentPage": "a record",
        "docs_library.DocumentLibraryPage": "a document library",
        "home.AnnouncementPage": "an announcement",
        "home.HomePage": "the central office",
        "home.RegionalBranchPage": "a regional or city branch",
        "home.DistrictBranchPage": "a district branch",
        "home.PrimaryOrganisationPage": "a primary organisation",
    }
    pages_parameters = [
        *_common_parameters(page_order, page_list_fields),
        _parameter(
            "type",
            "Only pages of these types (comma-separated): "
            + "; ".join(f"`{name}` ({what})" for name, what in page_types.items())
            + ". With one type, its fields may be asked for and filtered on. Not with `search`.",
            {"type": "string", "pattern": _one_or_more(page_types, empty=True)},  # empty: all
        ),
        _parameter(
            "search",
            "Words, a phrase in quotes or a registration number, searched by Sandyq's "
            "search service (Kazakh and Russian word forms, Latin-alphabet Kazakh) over "
            "what the caller may read, archived records included; results by relevance. "
            "Combines with `limit`, `offset`, `fields`, `organisation`, `document_type`, "
            "`year` and `language` only. Answers 503 when the search service is unavailable.",
            {"type": "string"},
        ),
        _parameter(
            "child_of",
            "Only children of this page (or `root`). Not with `descendant_of`.",
            {"type": "string", "pattern": PAGE_OR_ROOT},
        ),
        _parameter(
            "descendant_of",
            "Only pages below this one (or `root`). Not with `child_of`.",
            {"type": "string", "pattern": PAGE_OR_ROOT},
        ),
        _parameter("ancestor_of", "Only pages above this one.", _id_schema()),
    ]
    documents_parameters = _common_parameters(document_order, document_list_fields)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sandyq read API",
            "version": "2",
            "description": (
                "Read-only. Anonymous callers see what the public site shows; signed-in "
                "callers (the site's session cookie) exactly what Sandyq's access policy "
                "lets them read. Drafts never appear. Items the caller may not see answer "
                "404. Files are downloaded through the guarded view, which checks again."
            ),
        },
        "servers": [{"url": "/api/v2"}],
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "The site's session, from signing in at /kk/accounts/login/.",
                },
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "`Token <key>`, for other systems; an administrator makes one with "
                        "`manage.py drf_create_token <username>`. It reads as that user."
                    ),
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": {"type": "string"}},
                },
                "Meta": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "detail_url": {"type": "string"},
                        "html_url": {"type": ["string", "null"]},
                        "download_url": {"type": "string"},
                    },
                },
                "Page": {
                    "type": "object",
                    "description": (
                        "Every page has `id`, `meta` and `title` unless `fields` removes "
                        "them (`*,-id`); the other properties belong to the page type "
                        "named in `meta.type`."
                    ),
                    "properties": {
                        "id": {"type": "integer"},
                        "meta": {"$ref": "#/components/schemas/Meta"},
                        "title": {"type": "string"},
                        # records
                        "registration_number": {"type": "string"},
                        "document_date": {"type": "string", "format": "date"},
                        "document_type": {"type": "string", "enum": list(DocumentType.values)},
                        "language": {"type": "string", "enum": list(DocumentLanguage.values)},
                        "summary": {"type": "string"},
                        "body": {
                            "description": (
                                "Rich text (records) or a stream of blocks (announcements)."
                            )
                        },
                        "organisation": ORGANISATION,
                        "access_level": {"type": "string", "enum": list(AccessLevel.values)},
                        "archived_at": {"type": ["string", "null"], "format": "date-time"},
                        "files": {"type": "array", "items": FILE},
                        # announcements
                        "date": {"type": "string", "format": "date"},
                        # libraries
                        "intro": {"type": "string"},
                        # organisations
                        "name_kk": {"type": "string"},
                        "name_ru": {"type": "string"},
                        "name_en": {"type": "string"},
                        "short_name": {"type": "string"},
                        "org_code": {"type": "string"},
                    },
                },
                "Document": {
                    "type": "object",
                    "description": "`id` and `meta` unless `fields` removes them.",
                    "properties": {
                        "id": {"type": "integer"},
                        "meta": {"$ref": "#/components/schemas/Meta"},
                        "title": {"type": "string"},
                        "mime_type": {"type": "string"},
                        "page_count": {"type": ["integer", "null"]},
                    },
                },
            },
        },
        "security": [{}, {"session": []}, {"token": []}],
        "paths": {
            "/pages/": {
                "get": {
                    "summary": "Organisations, libraries, announcements and records",
                    "operationId": "listPages",
                    "parameters": pages_parameters,
                    "responses": {
                        "200": _listing("#/components/schemas/Page", "The pages."),
                        "400": _error("A parameter is unknown or its value malformed."),
                        "401": UNAUTHORISED,
                        "503": _error("The search service is unavailable."),
                    },
                }
            },
            "/pages/{id}/": {
                "get": {
                    "summary": "One page, with all its fields",
                    "operationId": "getPage",
                    "parameters": [ID_PARAMETER, _fields_parameter(page_fields)],
                    "responses": {
                        "200": _detail("#/components/schemas/Page", "The page."),
                        "400": _error("A parameter is unknown or its value malformed."),
                        "401": UNAUTHORISED,
                        "404": _error("No such page, or not one the caller may see."),
                    },
                }
            },
            "/pages/find/": {
                "get": {
                    "summary": "Redirect to the page with this id or site path",
                    "operationId": "findPage",
                    "parameters": [
                        _parameter("id", "The page's id.", _id_schema()),
                        _parameter(
                            "html_path",
                            "The page's path on the site (`/қарағанды/`).",
                            {"type": "string"},
                        ),
                    ],
                    "responses": {
                        "302": {"description": "To the page's detail URL."},
                        "400": _error("The id is malformed."),
                        "401": UNAUTHORISED,
                        "404": _error("No such page, or not one the caller may see."),
                    },
                }
            },
            "/documents/": {
                "get": {
                    "summary": "Files shown by records the caller may read",
                    "operationId": "listDocuments",
                    "parameters": documents_parameters,
                    "responses": {
                        "200": _listing("#/components/schemas/Document", "The files."),
                        "400": _error("A parameter is unknown or its value malformed."),
                        "401": UNAUTHORISED,
                    },
                }
            },
            "/documents/{id}/": {
                "get": {
                    "summary": "One file",
                    "operationId": "getDocument",
                    "parameters": [ID_PARAMETER, _fields_parameter(document_fields)],
                    "responses": {
                        "200": _detail("#/components/schemas/Document", "The file."),
                        "400": _error("A parameter is unknown or its value malformed."),
                        "401": UNAUTHORISED,
                        "404": _error("No such file, or not one the caller may fetch."),
                    },
                }
            },
            "/documents/find/": {
                "get": {
                    "summary": "Redirect to the file with this id",
                    "operationId": "findDocument",
                    "parameters": [_parameter("id", "The file's id.", _id_schema())],
                    "responses": {
                        "302": {"description": "To the file's detail URL."},
                        "400": _error("The id is malformed."),
                        "401": UNAUTHORISED,
                        "404": _error("No such file, or not one the caller may fetch."),
                    },
                }
            },
        },
    }
