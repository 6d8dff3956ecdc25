from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("search/", views.public_search, name="public"),
    path("search/archive/", views.archive_search, name="archive"),
    path("search/autocomplete/", views.autocomplete, name="autocomplete"),
]
