"""Local TCP servers that misbehave the ways a remote HTTP server can: one that accepts
and then says nothing, one that trickles its answer a byte at a time."""

import socket
import socketserver
import threading
import time


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class MisbehavingServer:
    """`mode` "hang": reads the request, never answers. "trickle": answers a valid HTTP
    response one byte every `interval` seconds (about a minute in all)."""

    def __init__(self, mode: str, interval: float = 0.2):
        self.connections = 0
        self._stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer.connections += 1
                self.request.settimeout(0.5)
                try:
                    self.request.recv(65536)
                except OSError:
                    return
                if mode == "hang":
                    outer._stop.wait(120)
                    return
                body = b'[{"lat": "60.15", "lon": "-1.15", "display_name": "Shetland"}]' + b" " * 200
                answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                for byte in answer:
                    if outer._stop.wait(interval):
                        return
                    try:
                        self.request.sendall(bytes([byte]))
                    except OSError:
                        return  # the client gave up

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def wait_for_port(port: int, host: str = "127.0.0.1", seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port}")
