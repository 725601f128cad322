"""Several products' quality scans at once, each product still getting its own result in its turn.

Against a warehouse a scan mostly waits on the network, so the scans of the next products run in a
bounded thread pool while the source governs and emits the current one. Results are handed out in
the order the source asks for them, so what is emitted, and in which order, does not depend on the
number of workers.

Soda Core keeps its log in one process-wide object that every new Scan clears; scans that run at once
would lose and mix each other's errors. `isolated_scan` gives each scan a log of its own.
"""

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from soda.common.logs import Logs
from soda.scan import Scan

import datahub_mesh.quality.soda_setup  # noqa: F401  (must run before Soda is imported)

logger = logging.getLogger(__name__)

WAREHOUSE_WORKERS = 4

Job = tuple[list[Any], dict[str, int]]  # a product's contract checks and its previous row counts


def isolated_scan() -> Scan:
    scan = Scan()
    logs = object.__new__(Logs)  # Logs() would return the shared instance
    logs._initialize()
    scan._logs = logs
    scan._data_source_manager.logs = logs
    return scan


def in_process(data_source: dict[str, Any] | None) -> bool:
    return data_source is None or data_source.get("type") == "duckdb"


def workers_for(max_workers: int | None, data_source: dict[str, Any] | None) -> int:
    """DuckDB runs in this process on one connection and already spreads each query over every core:
    one scan at a time. A warehouse does the work elsewhere: 4 scans at once by default."""
    if in_process(data_source):
        if max_workers and max_workers > 1:
            logger.warning("quality.max_workers: %s ignored; DuckDB scans run one at a time", max_workers)
        return 1
    return max_workers or WAREHOUSE_WORKERS


class ScanAhead:
    """A QualityRunner whose scans for the products to come run ahead in a bounded pool."""

    def __init__(self, runner: Any, workers: int):
        self.runner = runner
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="mesh-scan") if workers > 1 else None
        self._pending: OrderedDict[str, tuple[Job, Future]] = OrderedDict()
        self._upcoming: Iterator[Any] = iter(())
        self._job_for: Callable[[Any], Job] | None = None

    @property
    def source(self) -> Any:
        return self.runner.source

    def schedule(self, products: Iterable[Any], job_for: Callable[[Any], Job]) -> None:
        """The products, in the order the source will ask for them, and how to get each one's job.

        Taken one at a time as the scans run ahead: a large mesh is never held unpacked as a whole."""
        if self._pool is None:
            return
        _ = self.runner.source  # opened here, once, before any worker uses it
        logger.info("Quality scans of the next products: up to %d at once", self.workers)
        self._upcoming = iter(products)
        self._job_for = job_for
        self._fill()

    def run(self, product: Any, checks: list[Any], previous_row_counts: dict[str, int] | None = None) -> Any:
        previous_row_counts = previous_row_counts or {}
        ahead = self._take(product.name)
        self._fill()
        if ahead is not None:
            (scheduled_checks, scheduled_counts), future = ahead
            if [c.id for c in scheduled_checks] == [c.id for c in checks] and scheduled_counts == previous_row_counts:
                return self._masked(future.result)
            future.cancel()
        return self._masked(lambda: self.runner.run(product, checks, previous_row_counts))

    def close(self) -> None:
        if self._pool is not None:
            self._upcoming = iter(())
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.runner.close()

    def _take(self, name: str) -> tuple[Job, Future] | None:
        if name not in self._pending:
            return None
        # Products scheduled before this one that were never asked for (skipped) free their place.
        while True:
            key, ahead = self._pending.popitem(last=False)
            if key == name:
                return ahead
            ahead[1].cancel()

    def _fill(self) -> None:
        # Twice the workers: the pool stays busy while the source works on the current product.
        if self._job_for is None:
            return
        while self._pool is not None and len(self._pending) < 2 * self.workers:
            product = next(self._upcoming, None)
            if product is None:
                return
            try:
                job = self._job_for(product)
            except Exception:  # the product fails again, in its own turn, where it is reported
                continue
            checks, previous_row_counts = job
            self._pending[product.name] = (job, self._pool.submit(self.runner.run, product, checks, previous_row_counts))

    def _masked(self, call: Callable[[], Any]) -> Any:
        """An unexpected error's text is reported by the source: the data source's secrets never are."""
        try:
            return call()
        except Exception as e:
            masked = self.runner.source.redact(str(e))
            if masked == str(e):
                raise
            raise RuntimeError(masked) from None
