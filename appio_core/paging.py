"""A page of a longer list, with the total: lists are paged by the database, never cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int  # every row matching the filters, not only this page's
    number: int  # 1-based
    size: int
    more: bool = False  # more rows match than `total` (a count stopped there)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        """1-based position of the page's first row in the whole list (0 when empty)."""
        return 0 if not self.rows else (self.number - 1) * self.size + 1


def bounds(total: int, page: int, page_size: int) -> tuple[int, int, int]:
    """(page number, page size, offset), the page clamped to the existing ones."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    last = max(1, -(-total // size))
    number = min(max(1, page), last)
    return number, size, (number - 1) * size
