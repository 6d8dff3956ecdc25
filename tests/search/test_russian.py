"""Russian queries through the search service: short stems, the page's language, ranking.

A one-word query has no language of its own. «окнами» must still find «окно»,
«годами» «год», «делами» «дел», whatever page it is typed on, because its
ending is Russian; «дома» or «хода» look like Kazakh words, so they get their
Russian stem when the page is Russian (or a Russian word stands beside them).
A Kazakh query never picks up a short Russian stem, and documents in the
query's language come first among equally good matches. Runs on whichever
database the tests use (SQLite's engine or the SQL statement PostgreSQL runs).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import translation

from search import service
from tests.factories import DocumentPageFactory, LibraryFactory, central_office

RUSSIAN = {
    "window": ("Ремонт в приёмной", "Окно приёмной заменено осенью."),
    "year": ("План работы", "Мероприятия расписаны на год вперёд."),
    "affairs": ("Передача полномочий", "Составлен список дел первичной организации."),
    "peace": ("Обращение к жителям", "Мир и согласие в обществе важнее всего."),
    "forces": ("Работа с активом", "Распределение сил актива обсуждено."),
    "view": ("Оформление", "Общий вид стенда утверждён."),
    "course": ("Выборы", "Ход кампании обсуждён на заседании."),
    "home": ("Акция помощи", "Волонтёры посетили каждый дом района."),
    "passwords": ("Учётные записи", "Пароли сотрудников меняются раз в квартал."),
    "ball": ("Выпускники", "Выпускной бал прошёл в городе."),
}
KAZAKH = {
    # shares the key «парол» with the Russian «пароли», and scores higher on its own
    "passwords": ("Құпия пароль", "Пароль: әр тоқсан сайын пароль ауыстырылады."),
    "children": ("Балалар үйі", "Бала құқығы туралы кездесу өтті."),
    "report": ("Партиямыздың жылдық есебі", "Есеп бастауыш ұйымдарға жіберілді."),
}


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        library = LibraryFactory(parent=central_office(), title="Құжаттар")
        docs = SimpleNamespace()
        for language, texts in (("ru", RUSSIAN), ("kk", KAZAKH)):
            for name, (title, summary) in texts.items():
                page = DocumentPageFactory(
                    parent=library,
                    title=title,
                    summary=summary,
                    language=language,
                    document_date=datetime.date(2026, 1, 1),
                )
                setattr(docs, f"{language}_{name}", page)
        yield docs
        transaction.set_rollback(True)


@pytest.fixture
def docs(corpus, db):
    return corpus


def found(query: str, language: str) -> list[int]:
    """Page ids a public search finds, typed on the page of ``language``."""
    with translation.override(language):
        results = service.search(AnonymousUser(), query, per_page=50, scope=service.PUBLIC)
    return [result.page_id for result in results.results]


# Plural instrumental and genitive forms of short-stemmed Russian nouns: their
# endings tell they are Russian, so they find the singular on any page.
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("окнами", "window"),
        ("окна", "window"),
        ("годами", "year"),
        ("годов", "year"),
        ("делами", "affairs"),
        ("дела", "affairs"),
        ("миров", "peace"),
        ("мира", "peace"),
        ("силами", "forces"),
        ("силы", "forces"),
        ("видами", "view"),
        ("видов", "view"),
        ("ходами", "course"),
        ("ходов", "course"),
        ("паролей", "passwords"),
    ],
)
@pytest.mark.parametrize("page_language", ["ru", "kk"])
def test_russian_forms_find_their_short_stemmed_word(docs, query, name, page_language):
    assert getattr(docs, f"ru_{name}").pk in found(query, page_language)


# Forms that spell like Kazakh words: the Russian page tells what they are.
@pytest.mark.parametrize(
    ("query", "name"), [("дома", "home"), ("хода", "course"), ("года", "year")]
)
def test_the_russian_page_gives_kazakh_looking_words_their_russian_stem(docs, query, name):
    assert getattr(docs, f"ru_{name}").pk in found(query, "ru")


def test_a_russian_word_beside_it_tells_as_much_as_the_page(docs):
    """«дома» alone on the Kazakh page could be Kazakh; beside «волонтёры» it is Russian."""
    assert docs.ru_home.pk not in found("дома", "kk")
    assert docs.ru_home.pk in found("дома волонтёры", "kk")


@pytest.mark.parametrize("page_language", ["kk", "ru"])
def test_kazakh_queries_do_not_reach_russian_noise(docs, page_language):
    """бала (child) is not the Russian бал (ball), on the Kazakh page or beside Kazakh words."""
    assert docs.ru_ball.pk not in found("балалар", page_language)
    assert docs.ru_ball.pk not in found("бала құқығы", page_language)
    assert docs.kk_children.pk in found("балалар", page_language)
    assert docs.ru_ball.pk not in found("бала", "kk")


def test_a_kazakh_word_typed_on_the_russian_page_still_finds_kazakh_text(docs):
    assert docs.kk_children.pk in found("бала", "ru")
    assert docs.kk_report.pk in found("есеп", "ru")


def test_a_russian_query_ranks_russian_documents_first(docs):
    """«паролей» meets both documents at «парол»; the Russian one comes first."""
    for page_language in ("ru", "kk"):
        results = found("паролей", page_language)
        assert {docs.ru_passwords.pk, docs.kk_passwords.pk} <= set(results)
        assert results.index(docs.ru_passwords.pk) < results.index(docs.kk_passwords.pk)


@pytest.mark.parametrize("query", ["partiyamyzdyn", "partiiamyzdyn", "partiyamyzdyñ"])
def test_a_latin_query_finds_the_cyrillic_first_person_plural(docs, query):
    assert docs.kk_report.pk in found(query, "kk")
