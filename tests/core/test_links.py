"""The list pages' address tag gives what Django's reverse gives."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from peerpath.core.templatetags.links import fast_path


@pytest.mark.parametrize(
    "name,ids",
    [
        ("person-chart", (5,)),
        ("person-chart", (123456,)),
        ("team-reassign", (7,)),
        ("note-detail", (99,)),
        ("my-day", ()),
    ],
)
def test_the_same_address_as_reverse(name: str, ids: tuple[int, ...]) -> None:
    assert fast_path(name, *ids) == reverse(name, args=list(ids))
    # Twice: the second comes from the cached pattern.
    assert fast_path(name, *ids) == reverse(name, args=list(ids))


def test_the_tag_in_a_template() -> None:
    html = Template("{% load links %}{% for i in ids %}{% path 'person-chart' i %} {% endfor %}")
    out = html.render(Context({"ids": [1, 22, 333]}))
    assert out.split() == [reverse("person-chart", args=[i]) for i in (1, 22, 333)]


def test_an_id_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError):
        fast_path("person-chart", "1/../admin")  # type: ignore[arg-type]
