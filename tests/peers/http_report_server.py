#!/usr/bin/python3
"""A small HTTP server for browser tests: serves --page at any GET path
and appends the body of each POST to /report as one line of --log.
Accepts absolute-form targets too (a request that came through a proxy
as it was sent). Prints "ready" when listening.
"""
import argparse
import http.server
import socketserver
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--page", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    page = open(args.page, "rb").read()
    host, port = args.listen.rsplit(":", 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def send(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.split("?")[0].endswith("/favicon.ico"):
                self.send(404, b"", "text/plain")
                return
            self.send(200, page, "text/html; charset=utf-8")

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(min(n, 65536))
            if self.path.split("?")[0].endswith("/report"):
                with open(args.log, "ab") as f:
                    f.write(body.replace(b"\n", b" ") + b"\n")
            self.send(204, b"", "text/plain")

        def log_message(self, *a):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server((host.strip("[]"), int(port)), Handler)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
