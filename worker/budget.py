"""A CPU budget per unit of work (one article): stop it, record it, go on.

Two ways to enforce it, for the two places work runs:

``cpu_budget(seconds, what=...)`` is a context manager for the main thread of a process
(the embedded runner, a Celery prefork child): an ``ITIMER_PROF`` timer interrupts the
block once the process has used ``seconds`` of CPU in it, with an exception that the
stages' ``except Exception`` boundaries cannot swallow, and the block ends in
``BudgetExceeded``. It is cooperative at the granularity of one C call (a signal handler
runs between bytecodes), which the stages' input caps keep short. Off the main thread it cannot
install a timer: it measures this thread's CPU (``time.thread_time``), stops the block
at the next ``checkpoint()`` a stage passes once the budget is used up, and raises at the
end of the block if no checkpoint came (``enforced`` says whether a timer ran).

``checkpoint()`` is where a stage may stop cheaply (between its steps: after parsing,
after extraction, between topics): on a threads pool it is what enforces the budget
inside a stage; elsewhere it costs one thread-local read.

``run_with_cpu_limit(fn, *args, seconds=..., memory_mb=...)`` runs ``fn`` in a forked
child under ``RLIMIT_CPU`` / ``RLIMIT_AS``: a hard stop, even inside C code, at the
price of a fork (~5 ms) and a pickled result.

Both report the figures (CPU seconds, peak RSS) the pipeline stores with the error code
``over_budget`` (``BudgetExceeded.code``).
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from worker.errors import BudgetExceeded

__all__ = ["ARTICLE_CPU_SECONDS", "Usage", "checkpoint", "cpu_budget", "peak_rss_mb",
           "run_with_cpu_limit"]

ARTICLE_CPU_SECONDS = 10.0  # default per-article budget (a hostile page is ~2 s after caps)
T = TypeVar("T")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Usage:
    """What a block used; filled in when it ends (also when it raises)."""

    limit_s: float
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    enforced: bool = False  # True when a timer could stop the block early


def _process_cpu() -> float:
    return time.process_time()


class _CpuTimeUp(BaseException):
    """Raised by the timer inside the block. A BaseException, like KeyboardInterrupt, so
    that the stages' own ``except Exception`` boundaries (a bad page must not stop the
    run) cannot swallow it; ``cpu_budget`` turns it into ``BudgetExceeded`` at its edge."""


_REPEAT_S = 0.05  # if something swallows it anyway, the timer fires again this soon

# The timer's signal can land anywhere in the block, a finalizer (``__del__``, a weakref
# callback) included, where Python cannot raise: it reports the exception to
# ``sys.unraisablehook`` and goes on. While a timer runs, a hook of ours drops that
# report (the repeat stops the block in its own code 50 ms later) and, for any other
# report, keeps the timer quiet while the previous hook formats it: a timer firing
# inside the hook would fail the hook itself.
_quiet = threading.local()


def _on_prof(signum: int, frame: Any) -> None:
    if not getattr(_quiet, "on", False):
        raise _CpuTimeUp


def _unraisable_hook(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, _CpuTimeUp):
            return
        _quiet.on = True
        try:
            previous(unraisable)
        finally:
            _quiet.on = False
    return hook

# Off the main thread: the thread_time() past which checkpoint() stops the block.
_deadline = threading.local()


def checkpoint() -> None:
    """Stop here if this thread's CPU budget is used up (a threads pool: no timer can
    interrupt the block). Raises the same BaseException the timer does, so the stages'
    ``except Exception`` boundaries let it through to ``cpu_budget``'s edge."""
    at = getattr(_deadline, "at", None)
    if at is not None and time.thread_time() > at:
        raise _CpuTimeUp


@contextmanager
def cpu_budget(seconds: float, *, what: str = "work", stage: str | None = None
               ) -> Iterator[Usage]:
    """Raise ``BudgetExceeded`` in the block when it uses more than ``seconds`` of CPU."""
    usage = Usage(limit_s=float(seconds))
    main = threading.current_thread() is threading.main_thread()
    # off the main thread (a threads pool) only this thread's CPU is this block's
    _cpu = _process_cpu if main else time.thread_time
    start = _cpu()
    previous_handler: Any = None
    previous_timer = (0.0, 0.0)
    previous_hook = sys.unraisablehook

    def _over(used: float) -> BudgetExceeded:
        return BudgetExceeded(
            f"{what}: over its CPU budget ({used:.2f} s used, {seconds:g} s allowed)",
            cpu_s=round(used, 3), limit_s=float(seconds), stage=stage,
            peak_rss_mb=round(peak_rss_mb()))

    outer_deadline = getattr(_deadline, "at", None)
    if main and seconds > 0:
        previous_handler = signal.signal(signal.SIGPROF, _on_prof)
        sys.unraisablehook = _unraisable_hook(previous_hook)
        previous_timer = signal.setitimer(signal.ITIMER_PROF, seconds, _REPEAT_S)
        usage.enforced = True
    elif seconds > 0:  # an inner budget never extends an outer one
        at = start + seconds
        _deadline.at = at if outer_deadline is None else min(at, outer_deadline)
    try:
        try:
            yield usage
        except _CpuTimeUp:
            if usage.enforced:
                signal.setitimer(signal.ITIMER_PROF, 0)
            raise _over(_cpu() - start) from None
    finally:
        if not main:
            _deadline.at = outer_deadline
        if usage.enforced:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous_handler)
            sys.unraisablehook = previous_hook
            if previous_timer[0] > 0:  # an outer budget: resume it with what it has left
                left = max(previous_timer[0] - (_cpu() - start), 0.001)
                signal.setitimer(signal.ITIMER_PROF, left, previous_timer[1])
        usage.cpu_s = round(_cpu() - start, 3)
        usage.peak_rss_mb = round(peak_rss_mb())
    if not usage.enforced and usage.cpu_s > seconds > 0:
        raise _over(usage.cpu_s)


def run_with_cpu_limit(fn: Callable[..., T], *args: Any, seconds: float,
                       memory_mb: int | None = None, what: str = "work",
                       **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a forked child limited to ``seconds`` of CPU (and
    ``memory_mb`` of address space); its result, its exception, or ``BudgetExceeded``
    when the kernel stopped it. The result and the exception must pickle."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            limit = max(int(seconds + 0.999), 1)
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
            if memory_mb:
                size = memory_mb * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (size, size))
            try:
                payload = pickle.dumps((True, fn(*args, **kwargs)))
            except BaseException as exc:  # noqa: BLE001 - handed to the parent
                try:
                    payload = pickle.dumps((False, exc))
                except Exception:  # noqa: BLE001
                    payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as inp:
        data = inp.read()
    _, status, rusage = os.wait4(pid, 0)
    cpu = round(rusage.ru_utime + rusage.ru_stime, 3)
    rss = round(rusage.ru_maxrss / 1024)
    if data:
        ok, value = pickle.loads(data)
        if ok:
            return value
        if isinstance(value, MemoryError):
            raise BudgetExceeded(f"{what}: over its memory budget ({memory_mb} MB)",
                                 cpu_s=cpu, limit_s=float(seconds), peak_rss_mb=rss)
        raise value
    raise BudgetExceeded(
        f"{what}: stopped after {cpu:.2f} s of CPU ({seconds:g} s allowed"
        + (f", {memory_mb} MB of memory" if memory_mb else "") + ")",
        cpu_s=cpu, limit_s=float(seconds), peak_rss_mb=rss)
