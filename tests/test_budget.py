"""The per-article CPU budget's building blocks (worker/budget.py)."""

from __future__ import annotations

import threading

import pytest

from worker.budget import checkpoint, cpu_budget, run_with_cpu_limit
from worker.errors import BudgetExceeded
from worker.retry import should_retry


def _spin(n: int | None = None) -> int:
    i = 0
    while n is None or i < n:
        i += 1
    return i


def test_cpu_budget_stops_a_runaway_block_with_its_figures() -> None:
    with pytest.raises(BudgetExceeded) as info:
        with cpu_budget(0.2, what="article 7", stage="clean"):
            _spin()
    err = info.value
    assert err.code == "over_budget" and err.permanent and should_retry(err, 1) is None
    # the kernel counts CPU in ticks: the figure is near the budget, not exactly on it
    assert err.cpu_s > 0.1 and err.limit_s == 0.2 and err.stage == "clean"
    assert "article 7" in str(err) and err.peak_rss_mb and err.peak_rss_mb > 0


def test_cpu_budget_lets_cheap_work_through_and_reports_usage() -> None:
    with cpu_budget(5.0) as usage:
        assert _spin(10_000) == 10_000
    assert usage.enforced and 0 <= usage.cpu_s < 5.0 and usage.peak_rss_mb > 0


def test_nested_budgets_restore_the_outer_one() -> None:
    with pytest.raises(BudgetExceeded) as info:
        with cpu_budget(0.3, what="outer"):
            with cpu_budget(5.0, what="inner"):
                _spin(1000)
            _spin()
    assert "outer" in str(info.value)


def test_off_the_main_thread_it_measures_and_raises_at_the_end() -> None:
    got: list[BaseException | None] = []

    def work() -> None:
        try:
            with cpu_budget(0.05, what="threaded") as usage:
                _spin(3_000_000)
            got.append(None)
            assert not usage.enforced
        except BudgetExceeded as exc:
            got.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert isinstance(got[0], BudgetExceeded) and got[0].cpu_s > 0.05


def _in_a_thread(fn) -> list:
    got: list = []

    def work() -> None:
        try:
            got.append(fn())
        except BudgetExceeded as exc:
            got.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return got


def test_off_the_main_thread_a_checkpoint_stops_the_block() -> None:
    """A threads pool has no timer: the stages' checkpoints stop the block once this
    thread's CPU is over the budget, not at the end of the stage."""
    steps: list[int] = []

    def stage() -> None:
        with cpu_budget(0.1, what="threaded", stage="clean"):
            for i in range(5_000):  # ~5-10 s of spinning if nothing stopped it
                _spin(20_000)
                steps.append(i)
                try:
                    checkpoint()
                except Exception:  # a stage boundary cannot swallow it
                    pass

    [exc] = _in_a_thread(stage)
    assert isinstance(exc, BudgetExceeded) and exc.stage == "clean"
    assert 0.1 <= exc.cpu_s < 2.0 and len(steps) < 5_000


def test_checkpoint_is_a_no_op_outside_a_budget_and_after_one() -> None:
    checkpoint()  # main thread, no budget

    def after() -> str:
        with cpu_budget(30.0):
            _spin(1000)
            checkpoint()
        with cpu_budget(0.05, what="inner"):
            pass  # ended: its deadline must not outlive it
        _spin(3_000_000)
        checkpoint()
        return "ok"

    assert _in_a_thread(after) == ["ok"]


def test_an_inner_budget_off_the_main_thread_keeps_the_outer_deadline() -> None:
    def nested() -> str:
        with cpu_budget(0.1, what="outer"):
            with cpu_budget(60.0, what="inner"):
                while True:
                    _spin(20_000)
                    checkpoint()
        return "not stopped"

    [exc] = _in_a_thread(nested)
    assert isinstance(exc, BudgetExceeded) and exc.cpu_s < 5.0


def test_clean_page_on_a_thread_stops_at_a_checkpoint_well_before_its_end() -> None:
    """The cleaner's steps (parse, blocks, trafilatura, coverage, block model, metadata,
    line rules) are each 0.1-0.4 s on a hostile page: the budget stops it between them."""
    import time

    from tests.data import hostile
    from worker.clean import clean_page

    data, ctype = hostile.page_p_words_50k()
    t0 = time.process_time()
    clean_page(data, content_type=ctype, url="https://hostile.example/p")
    whole = time.process_time() - t0

    def budgeted() -> str:
        with cpu_budget(0.1, what="article 1", stage="clean"):
            clean_page(data, content_type=ctype, url="https://hostile.example/p")
        return "finished"

    [exc] = _in_a_thread(budgeted)
    assert isinstance(exc, BudgetExceeded), f"clean ran to its end ({whole:.2f} s)"
    assert exc.cpu_s < whole * 0.75, (exc.cpu_s, whole)


def test_run_with_cpu_limit_returns_results_and_kills_runaways() -> None:
    assert run_with_cpu_limit(_spin, 1000, seconds=5) == 1000
    with pytest.raises(ValueError):
        run_with_cpu_limit(int, "not a number", seconds=5)
    with pytest.raises(BudgetExceeded) as info:
        run_with_cpu_limit(_spin, seconds=1, what="runaway")
    assert info.value.cpu_s >= 0.9 and "runaway" in str(info.value)
    with pytest.raises(BudgetExceeded):
        run_with_cpu_limit(lambda: bytearray(800 * 1024 * 1024), seconds=5, memory_mb=300)


def test_a_stage_boundary_cannot_swallow_the_budget() -> None:
    from worker.clean import clean_page

    def stage_with_a_boundary() -> None:
        try:
            _spin()
        except Exception:  # what clean_page and extract_html do with hostile pages
            pass
        _spin()

    with pytest.raises(BudgetExceeded):
        with cpu_budget(0.2, what="swallowed"):
            stage_with_a_boundary()
    # and a real stage still works under a budget
    with cpu_budget(30.0) as usage:
        story = clean_page(b"<html><body><p>" + b"Words of a story. " * 40 + b"</p></body></html>",
                           content_type="text/html")
    assert story.status == "ok" and usage.cpu_s < 30.0


class _Heavy:
    """An object whose finalizer burns CPU: most of the block's time is spent in
    ``__del__``, where Python cannot raise the timer's exception."""

    def __del__(self) -> None:
        _spin(20_000)


def test_the_timer_landing_in_a_finalizer_stops_the_block_and_reports_nothing() -> None:
    import sys

    reports: list[BaseException | None] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda u: reports.append(u.exc_value)
    try:
        with pytest.raises(BudgetExceeded):
            with cpu_budget(0.3, what="finalizers"):
                while True:
                    _Heavy()  # freed at once: its __del__ runs here
        # an unrelated unraisable report after the block still reaches the hook
        _Failing()
    finally:
        sys.unraisablehook = previous
    assert [type(r) for r in reports] == [ValueError]


class _Failing:
    def __del__(self) -> None:
        raise ValueError("a finalizer's own failure")
