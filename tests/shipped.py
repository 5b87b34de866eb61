"""Runs of the shipped scenarios, each made once a test session and handed out as copies:
a PySD run takes seconds, and runs have no side effects (tests/test_run.py checks that)."""
import functools

import sdecon


@functools.cache
def _run(name: str):
    return sdecon.run(name)


def run(name: str):
    """`sdecon.run(name)` for a shipped scenario name, a fresh copy each call."""
    return _run(name).copy()
