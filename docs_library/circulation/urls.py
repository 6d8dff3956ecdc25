"""The circulars' public pages, under the language prefix: /kk/circulars/…"""

from django.urls import path

from . import assignment_views, discipline_views, journal_views, views

app_name = "circulars"

urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/<int:organisation_id>/", views.inbox, name="inbox"),
    path("received/<int:distribution_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("sent/<int:record_id>/", views.dashboard, name="dashboard"),
    path("sent/<int:record_id>/acknowledgements.csv", views.dashboard_csv, name="dashboard_csv"),
    path("sent/<int:record_id>/remind/", views.remind, name="remind"),
    path("mail/", views.mail_settings, name="mail_settings"),
    path("journals/<int:organisation_id>/", journal_views.journal, name="journal"),
    path(
        "journals/<int:organisation_id>/print/", journal_views.journal_print, name="journal_print"
    ),
    path(
        "journals/<int:organisation_id>/journal.csv", journal_views.journal_csv, name="journal_csv"
    ),
    path(
        "journals/<int:organisation_id>/journal.xlsx",
        journal_views.journal_xlsx,
        name="journal_xlsx",
    ),
    path(
        "journals/<int:organisation_id>/register/", journal_views.register, name="journal_register"
    ),
    path("discipline/<int:organisation_id>/", discipline_views.report, name="discipline"),
    path(
        "discipline/<int:organisation_id>/discipline.csv",
        discipline_views.report_csv,
        name="discipline_csv",
    ),
    path("assign/<int:record_id>/", assignment_views.issue, name="assign"),
    path("assignments/<int:assignment_id>/", assignment_views.assignment, name="assignment"),
    path("executions/<int:execution_id>/", assignment_views.execution, name="execution"),
    path("executions/<int:execution_id>/start/", assignment_views.start, name="execution_start"),
    path("executions/<int:execution_id>/report/", assignment_views.report, name="execution_report"),
    path("executions/<int:execution_id>/decide/", assignment_views.decide, name="execution_decide"),
    path(
        "executions/<int:execution_id>/pass-on/", assignment_views.pass_on, name="execution_pass_on"
    ),
    path(
        "executions/<int:execution_id>/extension/",
        assignment_views.ask_extension,
        name="execution_extension",
    ),
    path(
        "extensions/<int:request_id>/answer/",
        assignment_views.answer_extension,
        name="extension_answer",
    ),
]
