"""A small webframe in standard-library Python 3.11 that speaks the Tandem frame protocol.

The protocol is specified in docs/protocol.md (section numbers below refer to it); this file was written
from that page alone, to show that the page is enough. httpserver connects to it over TCP:

    python3 webframe.py [--host 127.0.0.1] [--port 8806] [--max-streams 256]

It prints `listening on HOST:PORT` once listening, and on SIGINT/SIGTERM sends GOAWAY NO_ERROR to every
connection, lets open streams finish, and exits 0. Routes are the `urls` list near the end of the file.
"""

import argparse
import asyncio
import datetime
import hashlib
import json
import re
import signal
import struct
import sys
from urllib.parse import unquote

HELLO, HEAD, DATA, WINDOW, ABORT, PING, GOAWAY = range(7)  # §4
END_STREAM, ACK = 0x01, 0x02  # §2
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0, 1, 2, 3  # §7
FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, UNSUPPORTED_VERSION = 4, 5, 6, 7
MAX_CREDIT = 2**31 - 1
HEADER = struct.Struct(">IBBI")  # §2: length u32, type u8, flags u8, stream u32
MY_MAX_FRAME, MY_WINDOW = 1048576, 1048576  # what this webframe's HELLO announces (§4.1)
NAMES = ("HELLO", "HEAD", "DATA", "WINDOW", "ABORT", "PING", "GOAWAY")
HTML, TEXT, JSON = "text/html; charset=utf-8", "text/plain; charset=utf-8", "application/json"


class ConnError(Exception):
    """A connection error (§8): the connection is answered with GOAWAY(code, message) and closed."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Request:
    """What a view receives: the request head (§4.2) and its body as an async stream of chunks."""

    def __init__(self, stream, head):
        self.method, self.info = head["method"], head["info"]
        self.path, _, self.query = self.info.partition("?")
        self.headers = head.get("headers") or {}
        self.client = head.get("client") or {}
        self._stream = stream

    async def chunks(self):
        """Yield request body chunks; each one taken away may earn the peer more credit (§5)."""
        while (chunk := await self._stream.take()) is not None:
            yield chunk


class Response:
    """What a view returns: a status, headers, and a body that is a str (sent inline as `data`),
    bytes, or an async iterable of bytes (sent as DATA frames under flow control)."""

    def __init__(self, status=200, body="", headers=None, content_type=HTML):
        self.status, self.body = status, body
        self.headers = {"content-type": content_type, **(headers or {})}


class Stream:
    """One stream (§3): the request body queue with its receive window, and the send credit."""

    def __init__(self, conn, sid, request_ended):
        self.conn, self.id = conn, sid
        self.body = asyncio.Queue()  # bytes chunks, then None at END_STREAM
        self.recv_credit = MY_WINDOW  # what the peer may still send us
        self.consumed = 0  # taken by the view since our last WINDOW grant
        self.request_ended = request_ended
        self.response_ended = False
        self.discarding = False  # the view is done: drop further body bytes but keep granting credit
        self.send_credit = conn.peer_window
        self.credit_changed = asyncio.Event()
        self.task = None
        if request_ended:
            self.body.put_nowait(None)

    async def take(self):
        chunk = await self.body.get()
        if chunk is not None:
            self.consumed_bytes(len(chunk))
        return chunk

    def consumed_bytes(self, n):
        """Grant WINDOW credit once half our window has been consumed (§5), while the body is still open."""
        self.consumed += n
        if self.consumed >= MY_WINDOW // 2 and not self.request_ended and self.id in self.conn.streams:
            self.conn.send(WINDOW, 0, self.id, struct.pack(">I", self.consumed))
            self.recv_credit += self.consumed
            self.consumed = 0

    async def send_data(self, data, end):
        """Send `data` as DATA frames no longer than the peer's maxFrameSize, waiting for credit (§5)."""
        view = memoryview(data)
        while True:
            while self.send_credit <= 0 and len(view) > 0:
                self.credit_changed.clear()
                await self.credit_changed.wait()
            n = min(len(view), self.send_credit, self.conn.peer_max_frame)
            last = end and n == len(view)
            self.send_credit -= n
            self.conn.send(DATA, END_STREAM if last else 0, self.id, view[:n])
            view = view[n:]
            await self.conn.writer.drain()
            if not view:
                return

    async def run(self, request):
        """Run the view and send its response; a failure after the head was sent ABORTs the stream (§6)."""
        head_sent = False
        try:
            response = await dispatch(request)
            head = {"status": str(response.status), "headers": response.headers}
            body = response.body
            if isinstance(body, str):
                inline = json.dumps({**head, "data": body}).encode()
                if len(inline) <= self.conn.peer_max_frame:
                    self.conn.send(HEAD, END_STREAM, self.id, inline)
                    return
                body = body.encode()
            self.conn.send(HEAD, 0, self.id, json.dumps(head).encode())
            head_sent = True
            if isinstance(body, (bytes, bytearray)):
                await self.send_data(body, end=True)
            else:
                async for chunk in body:
                    if chunk:
                        await self.send_data(chunk, end=False)
                await self.send_data(b"", end=True)
        except asyncio.CancelledError:
            raise  # ABORT received or connection gone: send nothing more on this stream
        except Exception as error:  # noqa: BLE001 - a failing view must not take the connection down
            print(f"view failed on stream {self.id}: {error!r}", file=sys.stderr)
            if head_sent:
                self.conn.abort(self.id, INTERNAL_ERROR, "view failed")
                return
            page = {"status": "500", "headers": {"content-type": TEXT}, "data": "Internal Server Error"}
            self.conn.send(HEAD, END_STREAM, self.id, json.dumps(page).encode())
        finally:
            self.finish_response()

    def finish_response(self):
        self.response_ended = True
        if self.id not in self.conn.streams:
            return
        self.discarding = True  # §3: keep reading and discarding the rest of the request body
        while not self.body.empty():
            chunk = self.body.get_nowait()
            if chunk is not None:
                self.consumed_bytes(len(chunk))
        self.conn.maybe_close_stream(self)


class Connection:
    """One httpserver connection: reads frames, keeps the streams, writes frames."""

    def __init__(self, server, reader, writer):
        self.server, self.reader, self.writer = server, reader, writer
        self.streams = {}  # open streams by id
        self.last_id = 0  # highest stream id opened so far; lower ids not open are closed (§3)
        self.peer_max_frame, self.peer_window = 1048576, 1048576
        self.tasks = set()  # running view tasks (asyncio keeps only weak references to tasks)
        self.ready = self.goaway_sent = self.closed = False  # ready: the peer's HELLO was accepted

    def send(self, ftype, flags, sid, payload=b""):
        if not self.closed:
            self.writer.writelines((HEADER.pack(len(payload), ftype, flags, sid), payload))

    def abort(self, sid, code, reason=""):
        self.send(ABORT, 0, sid, struct.pack(">I", code) + reason.encode())
        self.streams.pop(sid, None)
        self.check_drained()

    def goaway(self, code, message=""):
        self.goaway_sent = True
        self.send(GOAWAY, 0, 0, struct.pack(">II", self.last_id, code) + message.encode())

    def maybe_close_stream(self, stream):
        if stream.request_ended and stream.response_ended:
            self.streams.pop(stream.id, None)
            self.check_drained()

    def check_drained(self):
        """After a GOAWAY, close the connection once every stream has finished (§6)."""
        if self.goaway_sent and not self.streams and not self.closed:
            self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()
        for stream in list(self.streams.values()):
            if stream.task:
                stream.task.cancel()
        self.streams.clear()

    async def read_frame(self, first):
        header = await self.reader.readexactly(HEADER.size)
        length, ftype, flags, sid = HEADER.unpack(header)
        if length > MY_MAX_FRAME:
            raise ConnError(FRAME_SIZE_ERROR, f"frame length {length} exceeds maxFrameSize {MY_MAX_FRAME}")
        payload = await self.reader.readexactly(length)
        if first and ftype != HELLO:
            raise ConnError(PROTOCOL_ERROR, f"first frame has type {ftype}, expected HELLO")
        return ftype, flags, sid, payload

    async def serve(self):
        self.send(HELLO, 0, 0, json.dumps({"protocol": "tandem", "version": 1, "maxFrameSize": MY_MAX_FRAME,
                                           "initialWindow": MY_WINDOW,
                                           "maxStreams": self.server.max_streams}).encode())
        try:
            self.on_hello(*await self.read_frame(first=True))
            while not self.closed:
                self.on_frame(*await self.read_frame(first=False))
        except ConnError as error:
            self.goaway(error.code, str(error))
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            pass  # the peer went away
        finally:
            self.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass

    def on_hello(self, ftype, flags, sid, payload):
        try:
            hello = json.loads(payload)
        except ValueError:
            raise ConnError(PROTOCOL_ERROR, "HELLO payload is not valid JSON") from None
        if sid != 0 or not isinstance(hello, dict):
            raise ConnError(PROTOCOL_ERROR, "HELLO must be a JSON object on stream 0")
        protocol, version = hello.get("protocol"), hello.get("version")
        if protocol != "tandem" or type(version) is not int or version != 1:
            raise ConnError(UNSUPPORTED_VERSION, f"unsupported protocol {protocol!r} version {version!r}")
        max_frame, window = hello.get("maxFrameSize", 1048576), hello.get("initialWindow", 1048576)
        if type(max_frame) is not int or type(window) is not int or not 16384 <= max_frame <= MAX_CREDIT \
                or not 0 <= window <= MAX_CREDIT:
            raise ConnError(PROTOCOL_ERROR, f"HELLO maxFrameSize {max_frame!r} or initialWindow {window!r} "
                            "out of range")
        self.peer_max_frame, self.peer_window, self.ready = max_frame, window, True

    def on_frame(self, ftype, flags, sid, payload):
        if ftype >= len(NAMES):
            raise ConnError(PROTOCOL_ERROR, f"unknown frame type {ftype}")
        name = NAMES[ftype]
        if (sid == 0) != (ftype in (HELLO, PING, GOAWAY)):
            raise ConnError(PROTOCOL_ERROR, f"{name} frame on stream {sid}")
        size_ok = {WINDOW: len(payload) == 4, ABORT: len(payload) >= 4, PING: len(payload) == 8}
        if not size_ok.get(ftype, ftype != GOAWAY or len(payload) >= 8):
            raise ConnError(PROTOCOL_ERROR, f"{name} payload of {len(payload)} bytes has the wrong size")
        if ftype == HELLO:
            raise ConnError(PROTOCOL_ERROR, "second HELLO on the connection")
        if ftype == PING:
            if not flags & ACK:
                self.send(PING, ACK, 0, payload)
        elif ftype == GOAWAY:
            last, code = struct.unpack_from(">II", payload)
            if code != NO_ERROR:
                self.close()  # the peer is closing on an error: stop everything now
            elif not self.goaway_sent:
                self.goaway(NO_ERROR)  # §6: finish the open streams, then close
                self.check_drained()
        elif ftype == HEAD:
            self.on_head(flags, sid, payload)
        else:
            self.on_stream_frame(ftype, flags, sid, payload)

    def on_head(self, flags, sid, payload):
        if sid <= self.last_id:
            raise ConnError(PROTOCOL_ERROR, f"HEAD for stream {sid} not above last stream {self.last_id}")
        try:
            head = json.loads(payload)
        except ValueError:
            raise ConnError(PROTOCOL_ERROR, "HEAD payload is not valid JSON") from None
        if not isinstance(head, dict) or not isinstance(head.get("method"), str) \
                or not isinstance(head.get("info"), str):
            raise ConnError(PROTOCOL_ERROR, "HEAD payload lacks string method and info")
        self.last_id = sid
        if self.goaway_sent or len(self.streams) >= self.server.max_streams:
            reason = b"going away" if self.goaway_sent else b"too many streams"
            self.send(ABORT, 0, sid, struct.pack(">I", REFUSED_STREAM) + reason)
            return
        stream = Stream(self, sid, request_ended=bool(flags & END_STREAM))
        self.streams[sid] = stream
        stream.task = asyncio.create_task(stream.run(Request(stream, head)))
        self.tasks.add(stream.task)
        stream.task.add_done_callback(self.tasks.discard)

    def on_stream_frame(self, ftype, flags, sid, payload):
        stream = self.streams.get(sid)
        if stream is None:
            if sid > self.last_id:
                raise ConnError(PROTOCOL_ERROR, f"{NAMES[ftype]} for stream {sid} that was never opened")
            return  # a closed stream: the frame crossed an ABORT on the wire (§3)
        if ftype == ABORT:
            self.streams.pop(sid)
            stream.task.cancel()
            self.check_drained()
        elif ftype == WINDOW:
            (increment,) = struct.unpack(">I", payload)
            if increment == 0 or stream.send_credit + increment > MAX_CREDIT:  # §5
                raise ConnError(FLOW_CONTROL_ERROR, f"WINDOW increment {increment} on stream {sid} "
                                "is out of range")
            stream.send_credit += increment
            stream.credit_changed.set()
        else:  # DATA
            if stream.request_ended:
                raise ConnError(PROTOCOL_ERROR, f"DATA on stream {sid} after END_STREAM")
            if len(payload) > stream.recv_credit:
                raise ConnError(FLOW_CONTROL_ERROR, f"DATA of {len(payload)} bytes exceeds the "
                                f"{stream.recv_credit} bytes of credit on stream {sid}")
            stream.recv_credit -= len(payload)
            stream.request_ended = bool(flags & END_STREAM)
            if stream.discarding:
                stream.consumed_bytes(len(payload))
                self.maybe_close_stream(stream)
                return
            if payload:
                stream.body.put_nowait(payload)
            if stream.request_ended:
                stream.body.put_nowait(None)


class Server:
    """The listening side: accepts connections and drains them gracefully on shutdown."""

    def __init__(self, max_streams):
        self.max_streams = max_streams
        self.connections = set()

    async def on_connect(self, reader, writer):
        conn = Connection(self, reader, writer)
        self.connections.add(conn)
        try:
            await conn.serve()
        finally:
            self.connections.discard(conn)

    async def shutdown(self, grace=30.0):
        for conn in list(self.connections):
            if conn.ready:  # §1: nothing but HELLO before the peer's HELLO
                conn.goaway(NO_ERROR)
            conn.goaway_sent = True
            conn.check_drained()
        deadline = asyncio.get_running_loop().time() + grace
        while self.connections and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):  # streams that did not finish within the grace period
            conn.close()
        await asyncio.sleep(0)


# ---- views and urls (the seed's views.py / urls.py) -------------------------------------------------


async def index(request):
    return Response(200, "<!doctype html><title>Tandem</title><h1>Hello from Python webframe</h1>")


async def hi(request):
    return Response(200, "hi")


async def now(request):
    return Response(200, datetime.datetime.now().astimezone().isoformat(), content_type=TEXT)


async def hello(request, name):
    return Response(200, json.dumps({"hello": unquote(name), "from": "python"}), content_type=JSON)


async def echo(request):
    return Response(200, request.chunks(), content_type="application/octet-stream")


async def sha256(request):
    digest, size = hashlib.sha256(), 0
    async for chunk in request.chunks():
        digest.update(chunk)
        size += len(chunk)
    return Response(200, json.dumps({"bytes": size, "sha256": digest.hexdigest()}), content_type=JSON)


urls = [  # (methods, path pattern with <name> parts, view)
    (("GET", "HEAD"), "/", index),
    (("GET", "HEAD"), "/hi", hi),
    (("GET", "HEAD"), "/datetime", now),
    (("GET", "HEAD"), "/api/hello/<name>", hello),
    (("POST",), "/echo", echo),
    (("POST",), "/sha256", sha256),
]
routes = [(methods, re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", path) + "$"), view)
          for methods, path, view in urls]


async def dispatch(request):
    """Find the view for the request path; 404 if none matches, 405 with `allow` if the method is wrong."""
    allowed = []
    for methods, pattern, view in routes:
        if match := pattern.match(request.path):
            if request.method in methods:
                return await view(request, **match.groupdict())
            allowed.extend(methods)
    if allowed:
        return Response(405, "Method Not Allowed", {"allow": ", ".join(allowed)}, TEXT)
    return Response(404, f"Not Found: {request.path}", content_type=TEXT)


async def main():
    parser = argparse.ArgumentParser(description="Tandem webframe in Python (docs/protocol.md)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8806)
    parser.add_argument("--max-streams", type=int, default=256)
    args = parser.parse_args()
    server = Server(args.max_streams)
    listener = await asyncio.start_server(server.on_connect, args.host, args.port)
    host, port = listener.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    listener.close()
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
