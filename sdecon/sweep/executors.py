"""Where batches run: forked processes on this machine, or a Dask cluster."""
from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable

from ..errors import SdeconError


def _worker_init() -> None:
    from .. import engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
    engine.THREADS = 1  # the processes already use every core


def _run_in_process(compute: Callable, tasks: Iterable, on_result) -> None:
    for task in tasks:
        on_result(compute(task))


def _run_local(compute: Callable, tasks: Iterable, on_result, workers: int) -> None:
    """Forked processes inheriting the compiled engine; at most two batches in flight a
    worker, so the samples waiting to be computed stay bounded."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from .. import engine
    engine.program().prepare()  # compile once, before forking: the children inherit it
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)
    pending: set = set()
    try:
        tasks = iter(tasks)
        while True:
            while len(pending) < 2 * workers and (task := next(tasks, None)) is not None:
                pending.add(executor.submit(compute, task))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                on_result(future.result())
    except BrokenProcessPool:
        raise SdeconError("a worker process died (out of memory?); the finished batches are "
                          "kept: lower --batch-size or --workers and run again with --resume") from None
    except BaseException:
        for future in pending:
            future.cancel()
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()  # do not wait for batches nobody will write
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _connect(address: str):
    """A Dask client of the scheduler at `address`, or a one-line SdeconError."""
    try:
        from dask.distributed import Client
        from distributed.comm import parse_address
        from distributed.comm.addressing import parse_host_port
    except ImportError:
        raise SdeconError("--cluster needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)  # a Client built on a bad address hangs when collected
    except (ValueError, TypeError) as error:
        raise SdeconError(f"--cluster {address!r} is not a scheduler address ({error}); expected "
                          "one such as tcp://HOST:8786") from None
    try:
        return Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SdeconError(f"--cluster {address!r}: cannot connect to a Dask scheduler there "
                          f"({error}); expected an address such as tcp://HOST:8786") from None


def _run_dask(compute: Callable, tasks: Iterable, on_result, client) -> None:
    """Batches sent to a Dask cluster, at most two in flight a worker; its workers need
    sdecon installed (they compile the engine once each)."""
    from dask.distributed import as_completed
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    tasks = iter(tasks)
    running = as_completed(loop=client.loop)
    for task in tasks:
        running.add(client.submit(compute, task, pure=False))
        if running.count() >= 2 * workers:
            break
    for future in running:
        result = future.result()
        future.release()
        on_result(result)
        task = next(tasks, None)
        if task is not None:
            running.add(client.submit(compute, task, pure=False))
