"""The live fan-out: in-process broker, its limits, and the Redis bridge between processes."""

import asyncio
import socket
import threading
import time

import pytest

from crowd import events


def test_a_subscriber_gets_its_venues_events_in_order_and_nothing_else():
    broker = events.Broker()
    mine, other = broker.subscribe("venue:1"), broker.subscribe("venue:2")
    for n in range(3):
        broker.deliver("venue:1", events.encode("alert", {"n": n}))
    got = [mine.get(timeout=0.01) for _ in range(3)]
    assert [g.split(b"\n")[1] for g in got] == [
        b'data: {"n":0}',
        b'data: {"n":1}',
        b'data: {"n":2}',
    ]
    assert mine.get(timeout=0.01) is None and other.get(timeout=0.01) is None


def test_a_frame_is_one_event_line_one_json_data_line_and_a_blank_line():
    assert events.encode("zones", {"名": 1}) == 'event: zones\ndata: {"名":1}\n\n'.encode()


def test_a_waiting_reader_wakes_when_another_thread_publishes():
    broker = events.Broker()
    sub = broker.subscribe("venue:1")
    threading.Timer(0.05, broker.deliver, ("venue:1", b"x")).start()
    assert sub.get(timeout=5) == b"x"


def test_an_asyncio_reader_wakes_when_another_thread_publishes():
    broker = events.Broker()
    sub = broker.subscribe("venue:1")

    async def read():
        threading.Timer(0.05, broker.deliver, ("venue:1", b"y")).start()
        return await sub.aget(timeout=5)

    assert asyncio.run(read()) == b"y"


def test_a_subscriber_too_slow_to_keep_up_is_told_to_resync():
    broker = events.Broker()
    sub = events.Subscription(broker, "venue:1", limit=3)
    for n in range(5):
        sub.put(str(n).encode())
    frames = [sub.get(timeout=0.01) for _ in range(3)]
    assert frames == [events.RESYNC, b"4", None]


def test_a_closed_subscription_no_longer_receives():
    broker = events.Broker()
    sub = broker.subscribe("venue:1")
    sub.close()
    assert broker.deliver("venue:1", b"z") == 0 and broker.subscribers("venue:1") == 0


def _redis_up(host="127.0.0.1", port=6379) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_with_redis_a_publish_reaches_subscribers_through_redis(settings):
    if not _redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    venue_id = 900_000 + int(time.time()) % 1000  # a topic no one else uses
    sub = events.subscribe(venue_id)
    try:
        events.publish(venue_id, "alert", {"id": 7})
        assert sub.get(timeout=5) == events.encode("alert", {"id": 7})
        # another process's publish (here: a raw client) arrives the same way
        raw = socket.create_connection(("127.0.0.1", 6379))
        channel = f"{events.CHANNEL_PREFIX}venue:{venue_id}".encode()
        frame = events.encode("alert", {"id": 8})
        raw.sendall(events._command(b"PUBLISH", channel, frame))
        raw.recv(100)
        raw.close()
        assert sub.get(timeout=5) == frame
    finally:
        sub.close()


def test_when_redis_is_down_events_still_reach_this_process(settings):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    sub = events.broker.subscribe(events.topic_for(42))
    try:
        events.publish(42, "alert", {"id": 1})
        assert sub.get(timeout=1) == events.encode("alert", {"id": 1})
    finally:
        sub.close()
