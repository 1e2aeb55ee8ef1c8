"""A blocking sync view must not stall the event loop (ASGI servers).

The slow view blocks its thread with ``time.sleep`` until the test creates a
flag file. The fast requests are sent while it blocks, and must all finish
before the flag exists: the ordering proves it, no timing thresholds.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import httpx
from _procs import ServerProc

DEADLINE = 60.0
FAST_REQUESTS = 20


def test_blocking_sync_view_does_not_delay_async_requests(
    asgi_server: ServerProc,
) -> None:
    flag = uuid.uuid4().hex
    state = asgi_server.state
    slow_result: list[httpx.Response | BaseException] = []

    def slow_request() -> None:
        try:
            slow_result.append(
                httpx.get(f"{asgi_server.url}/slow-sync/{flag}", timeout=DEADLINE + 30)
            )
        except BaseException as exc:  # reported by the assertions below
            slow_result.append(exc)

    slow = threading.Thread(target=slow_request, daemon=True)
    slow.start()
    try:
        end = time.monotonic() + DEADLINE
        while not (state / f"{flag}.started").exists():
            assert time.monotonic() < end, "the slow view never started"
            assert slow.is_alive(), slow_result
            time.sleep(0.02)

        async def fast_requests() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                base_url=asgi_server.url, timeout=httpx.Timeout(30.0)
            ) as http:
                pings = [
                    http.get("/ping", params={"i": i}) for i in range(FAST_REQUESTS)
                ]
                # A sync view too: the pool has threads to spare.
                syncs = [http.get("/sync") for _ in range(3)]
                return await asyncio.gather(*pings, *syncs)

        responses = asyncio.run(fast_requests())
        assert [r.status_code for r in responses] == [200] * (FAST_REQUESTS + 3)
        assert [r.text for r in responses[:FAST_REQUESTS]] == [
            f"pong {i}" for i in range(FAST_REQUESTS)
        ]
        assert all(r.json()["view"] == "sync" for r in responses[FAST_REQUESTS:])
        # All of that happened while the slow view was still blocked.
        assert slow.is_alive()
        assert slow_result == []
    finally:
        (state / f"{flag}.go").write_text("go")
        slow.join(DEADLINE + 40)
    assert len(slow_result) == 1
    response = slow_result[0]
    assert isinstance(response, httpx.Response), response
    assert (response.status_code, response.text) == (200, "released")
