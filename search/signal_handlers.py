"""What keeps the search index in step: saves, moves, blocks and finished extractions.

Connected in ``SearchConfig.ready``. Access itself needs no handler on the
database engine, which reads ``DocumentAccess`` at query time; Elasticsearch
holds each record's tokens in its documents, so a change of inheritance or
place re-sends the records below to it.
"""

import logging

from django_tasks.signals import task_finished

from django.db.models.signals import post_save

from wagtail.signals import post_page_move

from docs_library.models import DocumentPage
from docs_library.signals import records_imported
from home.models import HomePage, RegionalBranchPage
from home.signals import inheritance_changed

from . import indexing
from .service import forget_region_names
from .tasks import index_changed, update_entry_task

logger = logging.getLogger("sandyq.search")

EXTRACTION_TASK = "docs_library.files.tasks.extract_document_task"


def page_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    update_entry_task.enqueue(instance.pk)


def records_were_imported(sender, records, **kwargs):
    """A bulk import inserted records without saving each: their entries, at once."""
    indexing.index_records([record.pk for record in records])
    index_changed()


def extraction_finished(sender, task_result, **kwargs):
    """The file's text reaches the records that show it once extraction is done."""
    if task_result.task.module_path != EXTRACTION_TASK or not task_result.args:
        return
    indexing.update_records_showing(task_result.args[0])
    index_changed()


def page_moved(sender, instance, **kwargs):
    indexing.refresh_structure(instance)
    index_changed()
    indexing.reindex_in_elasticsearch(
        DocumentPage.objects.filter(path__startswith=instance.path).live()
    )


def inheritance_changed_below(sender, page, **kwargs):
    index_changed()  # the access rows below were rewritten: answers kept for them end
    indexing.reindex_in_elasticsearch(
        DocumentPage.objects.filter(path__startswith=page.path).live()
    )


def register():
    for model in indexing.searched_models():
        post_save.connect(page_saved, sender=model, dispatch_uid=f"search_entry_{model.__name__}")
    for model in (HomePage, RegionalBranchPage):
        post_save.connect(
            forget_region_names, sender=model, dispatch_uid=f"search_names_{model.__name__}"
        )
    task_finished.connect(extraction_finished, dispatch_uid="search_extraction_finished")
    records_imported.connect(records_were_imported, dispatch_uid="search_records_imported")
    post_page_move.connect(page_moved, dispatch_uid="search_page_moved")
    inheritance_changed.connect(inheritance_changed_below, dispatch_uid="search_inheritance")
