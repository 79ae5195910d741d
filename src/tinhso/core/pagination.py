"""Pagination whose count stops at a cap: counting every match of a common word among a million documents costs more
than finding the page itself (the newest rows come from an index and stop at the page's end), and nobody reads past
the fiftieth page."""

from functools import cached_property

from django.core.paginator import Paginator

#: Rows counted at most; above it the count is a lower bound ("more than 1,000").
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A ``Paginator`` over a queryset that counts at most ``cap + 1`` rows (one ``COUNT`` over a ``LIMIT``ed
    subquery). ``exact`` tells whether ``count`` is the whole number or the cap; the pages cover the first ``cap``
    rows (a narrower search finds the others)."""

    def __init__(self, object_list, per_page, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def exact(self) -> bool:
        return self._counted <= self.cap
