from django.urls import path

from . import views

app_name = "docs_library"

urlpatterns = [
    path(
        "<int:document_id>/versions/<int:number>/<str:filename>",
        views.serve_version,
        name="version",
    ),
    path("<int:document_id>/preview.png", views.serve_preview, name="preview"),
]
