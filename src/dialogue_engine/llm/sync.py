"""Blocking calls into the async language-model API (for synchronous seams such as ``Perceiver.perceive``)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(call: Coroutine[Any, Any, T]) -> T:
    """Run ``call`` to completion and return its result.

    In a thread without a running event loop it runs on a fresh loop; inside a running loop (a sync function
    called from async code) it runs on a fresh loop in a worker thread, so the caller's loop is not re-entered.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(call)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-sync") as pool:
        return pool.submit(asyncio.run, call).result()
