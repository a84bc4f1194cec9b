"""Progress of a long loop: every so many items or seconds, and the final count once."""

from __future__ import annotations

from services.runtime.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_told_every_so_many_items_and_at_the_end() -> None:
    told: list[tuple[int, int]] = []
    progress = Progress(1200, lambda done, total: told.append((done, total)), every=500)
    for _ in range(1200):
        progress.advance()
    progress.finish()
    assert told == [(500, 1200), (1000, 1200), (1200, 1200)]


def test_progress_is_told_every_few_seconds_when_items_are_slow() -> None:
    clock = Clock()
    told: list[int] = []
    progress = Progress(10, lambda done, _: told.append(done), interval_s=2.0, clock=clock)
    for _ in range(10):
        clock.now += 0.9
        progress.advance()
    progress.finish()
    assert told == [3, 6, 9, 10]


def test_the_final_count_is_told_once_even_with_nothing_to_do() -> None:
    told: list[tuple[int, int]] = []
    progress = Progress(0, lambda done, total: told.append((done, total)))
    progress.finish()
    assert told == [(0, 0)]
    exact = Progress(2, lambda done, total: told.append((done, total)), every=2)
    exact.advance()
    exact.advance()
    exact.finish()
    assert told == [(0, 0), (2, 2)]
