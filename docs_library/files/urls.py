from django.urls import path

from . import views

app_name = "docs_library"

# Under /documents/, beside Wagtail's /documents/<id>/<filename>: these start with a
# word, so no uploaded file name can shadow them.
urlpatterns = [
    path(
        "versions/<int:document_id>/<int:number>/<str:filename>",
        views.serve_version,
        name="version",
    ),
    path("previews/<int:document_id>.png", views.serve_preview, name="preview"),
]
