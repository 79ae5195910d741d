"""The capped paginator: exact below the cap; above it the cap, ``exact = False`` and pages over the first rows."""

import pytest

from tinhso.core.models import User
from tinhso.core.pagination import CappedPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_users():
    return [User.objects.create(username=f"u{i}", full_name=f"Người {i}") for i in range(5)]


def test_below_the_cap_the_count_is_exact(five_users):
    paginator = CappedPaginator(User.objects.filter(username__startswith="u").order_by("pk"), 2, cap=10)
    assert (paginator.count, paginator.exact, paginator.num_pages) == (5, True, 3)
    assert [u.username for u in paginator.get_page(3)] == ["u4"]


def test_above_the_cap_the_count_is_the_cap(five_users, django_assert_num_queries):
    paginator = CappedPaginator(User.objects.filter(username__startswith="u").order_by("pk"), 2, cap=3)
    with django_assert_num_queries(1):  # one COUNT over a LIMIT 4 subquery, however many rows match
        assert (paginator.count, paginator.exact) == (3, False)
    # the pages cover the first ``cap`` rows: a narrower search finds the rest
    assert paginator.num_pages == 2 and [u.username for u in paginator.get_page(2)] == ["u2"]


def test_exactly_the_cap_is_exact(five_users):
    paginator = CappedPaginator(User.objects.filter(username__startswith="u"), 10, cap=5)
    assert (paginator.count, paginator.exact) == (5, True)
