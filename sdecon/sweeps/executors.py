"""Where batches run: forked processes on this machine, or a Dask cluster.

An executor is any object with `map(fn, iterable)` yielding `fn(item)` for every item, in
any order (as emcee and the EMA Workbench take a pool); these two also stream the results
as they finish, with at most two items in flight a worker, so what waits stays bounded.
"""
from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from ..errors import SdeconError
from .design import _positive

_END = object()  # what next() gives when the items are used up
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class LocalExecutor:
    """Worker processes on this machine, forked so that they inherit what the parent has
    loaded (the compiled engine); each runs the engine on one thread.

    Parameters
    ----------
    workers : int, optional
        Processes at most (default: one a core). With 1, or when a `map` has a single
        item, the items run in this process, on every core.

    The processes start at the first `map` with more than one item (no more of them than
    it has items) and last until `close`; use the executor as a context manager, or pass
    none to `sweep`, which then makes one and closes it. They end when this process dies,
    even by SIGKILL.
    """

    def __init__(self, workers: int | None = None):
        self.workers = (os.cpu_count() or 1) if workers is None else _positive(workers, "workers")
        self._pool = None

    def map(self, fn: Callable, iterable: Iterable) -> Iterator:
        """`fn(item)` for each item, yielded as each finishes."""
        items = iter(iterable)
        first = list(itertools.islice(items, 2 * self.workers))
        if self._pool is None and (self.workers == 1 or len(first) <= 1):
            yield from map(fn, itertools.chain(first, items))
            return
        yield from self._map_in_pool(fn, itertools.chain(first, items), len(first))

    def _map_in_pool(self, fn: Callable, items: Iterator, known: int) -> Iterator:
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            # With fork, the first submit starts every worker from this thread, and
            # PR_SET_PDEATHSIG ends them when this thread ends.
            self._pool = ProcessPoolExecutor(min(self.workers, known), mp_context=context,
                                             initializer=_worker_init, initargs=(os.getpid(),))
        pending: set = set()
        try:
            while True:
                while len(pending) < 2 * self.workers and (item := next(items, _END)) is not _END:
                    pending.add(self._pool.submit(fn, item))
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        except BrokenProcessPool:
            self._end(wait=False)
            raise SdeconError("a worker process died (out of memory?); the finished batches are kept: "
                              "resume with a smaller batch_size or fewer workers") from None
        except BaseException:  # an error, Ctrl-C, or the caller stopped reading
            for future in pending:
                future.cancel()
            self._end(wait=False)
            raise

    def _end(self, wait: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not wait:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()  # do not wait for results nobody will read
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes."""
        self._end(wait=True)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _worker_init(parent: int) -> None:
    from .. import engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
    engine.THREADS = 1  # the processes already use every core
    _die_with(parent)


def _die_with(parent: int) -> None:
    """End this process when `parent` dies, even by SIGKILL, which leaves it no time to end
    us: the kernel's parent-death signal on Linux, elsewhere a thread watching for a new parent."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        signalled = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    except (AttributeError, OSError):  # not Linux
        signalled = False
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)
    if not signalled:
        threading.Thread(target=_watch, args=(parent,), name="sdecon-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


class DaskExecutor:
    """Items sent to a Dask cluster; its workers need sdecon installed (each loads or
    compiles the engine once).

    Parameters
    ----------
    cluster : str or distributed.Client
        A scheduler address such as ``tcp://HOST:8786``, connected to at once and closed by
        `close`, or a client of your own, left open.
    """

    def __init__(self, cluster):
        self._owned = isinstance(cluster, str)
        self.client = _connect(cluster) if self._owned else cluster

    def map(self, fn: Callable, iterable: Iterable) -> Iterator:
        """`fn(item)` for each item, yielded as each finishes."""
        from dask.distributed import as_completed
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        items = iter(iterable)
        running = as_completed(loop=self.client.loop)
        try:
            for item in itertools.islice(items, 2 * workers):
                running.add(self.client.submit(fn, item, pure=False))
            for future in running:
                result = future.result()
                future.release()
                yield result
                if (item := next(items, _END)) is not _END:
                    running.add(self.client.submit(fn, item, pure=False))
        finally:
            running.clear()  # the futures not waited for: the cluster forgets them

    def close(self) -> None:
        """Close the client, if this executor connected it."""
        if self._owned:
            self.client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connect(address: str):
    """A Dask client of the scheduler at `address`, or a one-line SdeconError."""
    try:
        from dask.distributed import Client
        from distributed.comm import parse_address
        from distributed.comm.addressing import parse_host_port
    except ImportError:
        raise SdeconError("cluster needs dask.distributed: pip install 'dask[distributed]'",
                          argument="cluster") from None
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)  # a Client built on a bad address hangs when collected
    except (ValueError, TypeError) as error:
        raise SdeconError(f"cluster {address!r} is not a scheduler address ({error}); expected "
                          "one such as tcp://HOST:8786", argument="cluster") from None
    try:
        return Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SdeconError(f"cluster {address!r}: cannot connect to a Dask scheduler there "
                          f"({error}); expected an address such as tcp://HOST:8786",
                          argument="cluster") from None
