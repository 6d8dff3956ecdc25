"""The review workflow for the whole tree, and the party's default retention rules.

The data is written out here rather than imported from the app, so that this
migration keeps doing what it did when the code moves on.
"""

from django.db import migrations

WORKFLOW_NAME = "Review by the organisation's reviewers"
RULES = [
    # (document type, archive after days or None for never, counted from)
    ("announcement", 365, "published"),
    ("circular", 90, "deadline"),
    ("minutes", None, "document_date"),
]


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Task = apps.get_model("docs_library", "OrganisationReviewTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    Page = apps.get_model("wagtailcore", "Page")
    RetentionRule = apps.get_model("docs_library", "RetentionRule")

    content_type, _ = ContentType.objects.get_or_create(
        app_label="docs_library", model="organisationreviewtask"
    )
    task = Task.objects.filter(name=WORKFLOW_NAME).first()
    if task is None:
        task = Task.objects.create(name=WORKFLOW_NAME, content_type=content_type, active=True)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not WorkflowTask.objects.filter(workflow=workflow, task_id=task.pk).exists():
        WorkflowTask.objects.create(workflow=workflow, task_id=task.pk, sort_order=0)
    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})

    for document_type, days, counted_from in RULES:
        RetentionRule.objects.get_or_create(
            document_type=document_type,
            defaults={"archive_after_days": days, "counted_from": counted_from},
        )


def backwards(apps, schema_editor):
    """Give the root page back to Wagtail's moderation workflow, if it is still there."""
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    ours = Workflow.objects.filter(name=WORKFLOW_NAME)
    other = Workflow.objects.exclude(pk__in=ours.values("pk")).order_by("pk").first()
    for link in WorkflowPage.objects.filter(workflow__in=ours):
        if other is not None:
            link.workflow = other
            link.save()
        else:
            link.delete()


class Migration(migrations.Migration):
    dependencies = [("docs_library", "0003_circulars_archive_workflow")]

    operations = [migrations.RunPython(forwards, backwards)]
