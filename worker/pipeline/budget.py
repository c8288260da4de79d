"""The per-article resource budget, as the pipeline applies it (issue 12).

``process_article`` runs an article's CPU-bound work (clean, then match) inside one
``ArticleBudget``: each stage is a ``stage(name)`` block under ``worker.budget.cpu_budget``
with what the article has left, so the whole article gets ``run.article_cpu_seconds`` of
CPU however it is split. An article over budget ends in ``BudgetExceeded`` (code
``over_budget``, permanent: never retried) whose message carries its figures; the
pipeline records it on the row and the run goes on.

Where it is enforced:

* the embedded runner (``run_once``) and a Celery **prefork** child run the article in
  their main thread: ``cpu_budget`` sets an ``ITIMER_PROF`` timer and stops the block
  when the budget is used up;
* on a **threads** (or gevent/eventlet) pool the task runs off the main thread: no timer
  can be installed, so the budget counts this thread's CPU and the article is stopped at
  the next ``worker.budget.checkpoint()`` a stage passes (between the cleaner's steps and
  between topics: ~0.1-0.4 s apart on hostile pages), or at the end of the stage if none
  comes. The service's ``process`` queue runs on prefork (DESIGN.md, docker-compose.yml),
  where the timer enforces it; ``newsradar worker`` warns when ``process`` is given a
  threads pool.

Nothing inside a stage block may hold a database transaction or a lock: the interrupt can
land anywhere in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from worker.budget import ARTICLE_CPU_SECONDS, cpu_budget
from worker.errors import BudgetExceeded

__all__ = ["ARTICLE_CPU_SECONDS", "ArticleBudget", "over_budget_message"]


def over_budget_message(article_id: int, *, cpu_s: float, limit_s: float, stage: str | None,
                        peak_rss_mb: float | None) -> str:
    """The stored message: what happened, and the figures as ``name=value``."""
    parts = [f"cpu_s={cpu_s:.2f}", f"limit_s={limit_s:g}", f"stage={stage or '?'}"]
    if peak_rss_mb is not None:
        parts.append(f"peak_rss_mb={peak_rss_mb:.0f}")
    return (f"article {article_id}: over its CPU budget in {stage or 'processing'} "
            f"({cpu_s:.2f} s used, {limit_s:g} s allowed; {', '.join(parts)})")


class ArticleBudget:
    """``seconds`` of CPU for one article, shared by its stages."""

    def __init__(self, article_id: int, seconds: float = ARTICLE_CPU_SECONDS) -> None:
        self.article_id = article_id
        self.limit_s = float(seconds)
        self.used_s = 0.0
        self.enforced = False

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run the block with what is left of the budget; ``BudgetExceeded`` (with the
        article's total figures) when it goes over. A limit of 0 or less: no budget."""
        if self.limit_s <= 0:
            yield
            return
        left = max(self.limit_s - self.used_s, 0.001)
        try:
            with cpu_budget(left, what=f"article {self.article_id}", stage=name) as usage:
                try:
                    yield
                finally:
                    self.enforced = self.enforced or usage.enforced
        except BudgetExceeded as exc:
            self.used_s += exc.cpu_s
            cpu_s = round(self.used_s, 3)
            message = over_budget_message(self.article_id, cpu_s=cpu_s, limit_s=self.limit_s,
                                          stage=name, peak_rss_mb=exc.peak_rss_mb)
            raise BudgetExceeded(message, cpu_s=cpu_s, limit_s=self.limit_s, stage=name,
                                 peak_rss_mb=exc.peak_rss_mb) from None
        self.used_s += usage.cpu_s
