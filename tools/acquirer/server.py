"""asyncio TCP (optionally TLS) server: length-prefixed frames in, answers out.

One process serves many terminals on many connections; a connection may
carry several messages in sequence. Every input is bounded: frame length,
time to the next frame, time to finish a frame, number of connections.
A garbled or oversized frame is logged (stderr and the messages table) and
closes that connection; nothing a client sends stops the process.
"""

import asyncio
import contextlib
import logging
import signal

from . import spec

log = logging.getLogger("acquirer")

IDLE_TIMEOUT = 60.0
READ_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
MAX_CONNECTIONS = 256


class Garbled(Exception):
    def __init__(self, reason, data=b""):
        Exception.__init__(self, reason)
        self.reason = reason
        self.data = data


class Server:
    def __init__(self, host, log_hex=False, idle_timeout=IDLE_TIMEOUT,
                 read_timeout=READ_TIMEOUT, max_connections=MAX_CONNECTIONS):
        self.host = host
        self.log_hex = log_hex
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.connections = 0

    async def connection(self, reader, writer):
        peer = "%s:%s" % (writer.get_extra_info("peername") or ("?", "?"))[:2]
        self.connections += 1
        try:
            if self.connections > self.max_connections:
                log.warning("%s refused: %d connections open", peer, self.connections - 1)
                return
            while await self._exchange(reader, writer, peer):
                pass
        except Garbled as e:
            log.warning("%s garbled frame (%s), closing", peer, e.reason)
            self._record_garbled(peer, e)
        except asyncio.TimeoutError:
            log.info("%s did not take its answer in %.0f s, closing", peer, WRITE_TIMEOUT)
        except (ConnectionError, OSError) as e:
            log.info("%s connection lost: %s", peer, e)
        except Exception:
            log.exception("%s unexpected error, closing", peer)
        finally:
            self.connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), WRITE_TIMEOUT)

    async def _exchange(self, reader, writer, peer):
        """Read one frame, answer it. False when the client is done."""
        try:
            head = await asyncio.wait_for(reader.readexactly(2), self.idle_timeout)
        except asyncio.IncompleteReadError as e:
            if e.partial:
                raise Garbled("connection closed inside the length", e.partial)
            return False
        except asyncio.TimeoutError:
            log.info("%s idle for %.0f s, closing", peer, self.idle_timeout)
            return False
        length = int.from_bytes(head, "big")
        if length > spec.MAX_FRAME or length < spec.MIN_PAYLOAD:
            raise Garbled("frame length %d outside %d..%d"
                          % (length, spec.MIN_PAYLOAD, spec.MAX_FRAME), head)
        try:
            payload = await asyncio.wait_for(reader.readexactly(length), self.read_timeout)
        except asyncio.IncompleteReadError as e:
            raise Garbled("frame of %d bytes cut at %d" % (length, len(e.partial)),
                          head + e.partial)
        except asyncio.TimeoutError:
            raise Garbled("frame of %d bytes not complete in %.0f s"
                          % (length, self.read_timeout), head)
        if self.log_hex:
            log.info("%s in  %s", peer, payload.hex().upper())
        try:
            answer = self.host.handle(payload, peer)
        except spec.WireError as e:
            raise Garbled(str(e), head + payload)
        if self.log_hex:
            log.info("%s out %s", peer, answer.hex().upper())
        writer.write(spec.frame(answer))
        await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)
        return True

    def _record_garbled(self, peer, garbled):
        if self.log_hex and garbled.data:
            log.info("%s garbled %s", peer, garbled.data.hex().upper())
        try:
            store = self.host.store
            with store.transaction():
                store.log_message("in", peer, garbled.data,
                                  self.host.clock().isoformat(timespec="seconds"),
                                  note="garbled: " + garbled.reason)
        except Exception:
            log.exception("%s could not record the garbled frame", peer)


async def serve(host, address, port, ssl_context=None, log_hex=False, on_ready=None):
    """Serve until SIGTERM or SIGINT. on_ready(port) runs once listening."""
    server = Server(host, log_hex=log_hex)
    listener = await asyncio.start_server(
        server.connection, address, port, ssl=ssl_context,
        ssl_handshake_timeout=READ_TIMEOUT if ssl_context else None)
    bound_port = listener.sockets[0].getsockname()[1]
    log.info("listening on %s:%d%s", address, bound_port, " (TLS)" if ssl_context else "")
    if on_ready is not None:
        on_ready(bound_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with listener:
        await stop.wait()
    log.info("stopped")
