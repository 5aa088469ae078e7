"""Live fan-out for the crowd board: Server-Sent Events to every open board.

Embedded default: an in-process broker — each open stream holds a bounded, thread-safe
queue per subscriber, filled by whichever thread publishes (an ingest request, the
ticker, the replay). With `REDIS_URL` set, `publish` goes to Redis pub/sub and one
listener thread per process (started by its first subscriber) hands every message to
the local broker, so boards on any worker see readings ingested by any other.

The Redis side speaks the few commands it needs (PUBLISH, PSUBSCRIBE, AUTH, PING) in
RESP2 over a socket rather than adding a client library (see docs/crowd.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections import deque
from urllib.parse import unquote, urlparse

from django.conf import settings

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "pingan:crowd:"
# A subscriber this far behind is cut short with a "resync" (the board reloads state).
QUEUE_LIMIT = 2000


def topic_for(venue_id: int) -> str:
    return f"venue:{venue_id}"


def encode(event: str, data) -> bytes:
    """One SSE frame: `event:` line, one `data:` line of JSON, blank line."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"event: {event}\ndata: {payload}\n\n".encode()


RESYNC = encode("resync", {})


class Subscription:
    """One open stream's queue; `put` from any thread, `get` (threads) or `aget` (asyncio)."""

    def __init__(self, broker: Broker, topic: str, limit: int = QUEUE_LIMIT) -> None:
        self.broker, self.topic, self.limit = broker, topic, limit
        self._items: deque[bytes] = deque()
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self.closed = False

    def put(self, frame: bytes) -> None:
        with self._cond:
            if self.closed:
                return
            if len(self._items) >= self.limit:
                # Too slow to keep up: drop the backlog, tell the board to reload.
                self._items.clear()
                frame = RESYNC
            self._items.append(frame)
            self._cond.notify()
            loop, ready = self._loop, self._ready
        if loop is not None and ready is not None:
            # RuntimeError: the loop has closed, the stream is gone.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ready.set)

    def get(self, timeout: float) -> bytes | None:
        """The next frame, or None after `timeout` seconds (time for a keep-alive)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._items:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self._cond.wait(left)
            return self._items.popleft()

    async def aget(self, timeout: float) -> bytes | None:
        if self._loop is None:
            with self._cond:
                self._loop, self._ready = asyncio.get_running_loop(), asyncio.Event()
        assert self._ready is not None
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if self._items:
                    return self._items.popleft()
                self._ready.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self._ready.wait(), left)
            except TimeoutError:
                return None

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        self.broker.unsubscribe(self)


class Broker:
    """Topic → subscriptions, in this process."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def subscribe(self, topic: str) -> Subscription:
        sub = Subscription(self, topic)
        with self._lock:
            self._subs.setdefault(topic, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.topic]

    def deliver(self, topic: str, frame: bytes) -> int:
        with self._lock:
            subs = list(self._subs.get(topic, ()))
        for sub in subs:
            sub.put(frame)
        return len(subs)

    def subscribers(self, topic: str) -> int:
        with self._lock:
            return len(self._subs.get(topic, ()))


broker = Broker()


# ---------------------------------------------------------------------------- Redis


class RedisError(Exception):
    pass


def _command(*parts: str | bytes) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def line(self) -> bytes:
        raw = self.file.readline()
        if not raw.endswith(b"\r\n"):
            raise ConnectionError("connection to Redis closed")
        return raw[:-2]

    def reply(self):
        line = self.line()
        prefix, rest = line[:1], line[1:]
        if prefix == b"+":
            return rest.decode()
        if prefix == b"-":
            raise RedisError(rest.decode())
        if prefix == b":":
            return int(rest)
        if prefix == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("connection to Redis closed")
            return data[:-2]
        if prefix == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RedisError(f"unexpected reply {line[:40]!r}")


def _connect(url: str, timeout: float | None) -> tuple[socket.socket, _Reader]:
    u = urlparse(url)
    if u.scheme != "redis":
        raise RedisError(f"only redis:// URLs are supported, not {u.scheme}://")
    sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=5)
    sock.settimeout(timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = _Reader(sock)
    if u.password:
        args = (
            ["AUTH", unquote(u.username), unquote(u.password)]
            if u.username
            else ["AUTH", unquote(u.password)]
        )
        sock.sendall(_command(*args))
        reader.reply()
    return sock, reader


class RedisFanout:
    """PUBLISH to `pingan:crowd:<topic>`; a listener thread feeds the local broker."""

    def __init__(self, url: str, local: Broker) -> None:
        self.url, self.local = url, local
        self._pub: tuple[socket.socket, _Reader] | None = None
        self._pub_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self.listening = threading.Event()

    def publish(self, topic: str, frame: bytes) -> None:
        with self._pub_lock:
            for attempt in (1, 2):
                try:
                    if self._pub is None:
                        self._pub = _connect(self.url, timeout=5)
                    sock, reader = self._pub
                    sock.sendall(_command("PUBLISH", CHANNEL_PREFIX + topic, frame))
                    reader.reply()
                    return
                except (OSError, ConnectionError, RedisError) as exc:
                    self._drop_pub()
                    if attempt == 2:
                        # Redis is down: boards on this process still get the news.
                        log.warning("crowd: Redis publish failed (%s); delivering locally", exc)
                        self.local.deliver(topic, frame)

    def _drop_pub(self) -> None:
        if self._pub is not None:
            with contextlib.suppress(OSError):
                self._pub[0].close()
        self._pub = None

    def ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="crowd-redis-listener", daemon=True
                )
                self._listener.start()
        self.listening.wait(timeout=2)

    def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                sock, reader = _connect(self.url, timeout=None)
                sock.sendall(_command("PSUBSCRIBE", CHANNEL_PREFIX + "*"))
                reader.reply()  # the subscription's confirmation
                self.listening.set()
                backoff = 0.5
                while True:
                    msg = reader.reply()
                    if isinstance(msg, list) and len(msg) == 4 and msg[0] == b"pmessage":
                        topic = msg[2].decode()[len(CHANNEL_PREFIX) :]
                        self.local.deliver(topic, msg[3])
            except Exception as exc:  # noqa: BLE001 - keep listening whatever happened
                self.listening.clear()
                log.warning("crowd: Redis listener lost (%s); retrying in %.1f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


_fanout: RedisFanout | None = None
_fanout_lock = threading.Lock()


def redis_fanout() -> RedisFanout | None:
    global _fanout
    url = settings.REDIS_URL
    if not url:
        return None
    with _fanout_lock:
        if _fanout is None or _fanout.url != url:
            _fanout = RedisFanout(url, broker)
        return _fanout


def publish(venue_id: int, event: str, data) -> None:
    """Send one event to every board of the venue (through Redis when configured)."""
    topic, frame = topic_for(venue_id), encode(event, data)
    fanout = redis_fanout()
    if fanout is None:
        broker.deliver(topic, frame)
    else:
        fanout.publish(topic, frame)


def subscribe(venue_id: int) -> Subscription:
    """A stream of the venue's events; close() it when the client goes."""
    fanout = redis_fanout()
    if fanout is not None:
        fanout.ensure_listener()
    return broker.subscribe(topic_for(venue_id))
