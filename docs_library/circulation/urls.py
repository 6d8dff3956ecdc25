"""The circulars' public pages, under the language prefix: /kk/circulars/…"""

from django.urls import path

from . import views

app_name = "circulars"

urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/<int:organisation_id>/", views.inbox, name="inbox"),
    path("received/<int:distribution_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("sent/<int:record_id>/", views.dashboard, name="dashboard"),
    path("sent/<int:record_id>/acknowledgements.csv", views.dashboard_csv, name="dashboard_csv"),
    path("sent/<int:record_id>/remind/", views.remind, name="remind"),
    path("mail/", views.mail_settings, name="mail_settings"),
]
