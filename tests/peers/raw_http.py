#!/usr/bin/python3
"""Raw HTTP/1 peers that keep the exact bytes, for fidelity tests.

server --listen ADDR:PORT --log FILE   (serves until killed)
  reads each request head, appends one JSON line to FILE with the head
  exactly as it arrived (latin-1 text, CRLFs kept) and the peer address,
  then answers 426 the way real-products.md's recorder did
  (Sec-WebSocket-Version: 13, a 17-byte text body, Connection: close)
  and closes. A request whose target has a query gets the same 426 with
  hop-by-hop headers of the server's own as well (Upgrade, Keep-Alive,
  a header that Connection names), to show what a proxy does to them.

client --connect ADDR:PORT --head FILE
  sends FILE's bytes in one write (the handshake, byte for byte), reads
  the response head and its Content-Length body, and prints one JSON
  line: {"head": ..., "body": ...} ("error" if none came).
"""
import argparse
import json
import socket
import sys
import threading

MAX_HEAD = 65536
ANSWER = (b"HTTP/1.1 426 Upgrade Required\r\n"
          b"Sec-WebSocket-Version: 13\r\n"
          b"Content-Type: text/plain\r\n"
          b"Content-Length: 17\r\n"
          b"Connection: close\r\n"
          b"\r\n"
          b"Upgrade Required\n")
ANSWER_HOP = (b"HTTP/1.1 426 Upgrade Required\r\n"
              b"Upgrade: websocket\r\n"
              b"Sec-WebSocket-Version: 13\r\n"
              b"Content-Type: text/plain\r\n"
              b"Content-Length: 17\r\n"
              b"Keep-Alive: timeout=5\r\n"
              b"X-Hop2: 1\r\n"
              b"Connection: close, X-Hop2\r\n"
              b"\r\n"
              b"Upgrade Required\n")


def addr(spec):
    host, _, port = spec.rpartition(":")
    return host.strip("[]"), int(port)


def read_head(sock):
    """The head (through the blank line) and what followed it."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            break
        b = sock.recv(4096)
        if not b:
            break
        data += b
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 4], data[i + 4:]


def serve_one(conn, peer, args, lock):
    try:
        conn.settimeout(5)
        head, _ = read_head(conn)
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"peer": peer[0],
                                "head": head.decode("latin-1")}) + "\n")
        target = head.split(b"\r\n", 1)[0].split(b" ")
        query = len(target) > 1 and b"?" in target[1]
        conn.sendall(ANSWER_HOP if query else ANSWER)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(4096)
    except OSError as e:
        print("server: %s" % e, file=sys.stderr)
    finally:
        conn.close()


def server(args):
    host, port = addr(args.listen)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    lock = threading.Lock()
    print("ready", flush=True)
    while True:
        conn, peer = s.accept()
        threading.Thread(target=serve_one, args=(conn, peer, args, lock),
                         daemon=True).start()


def client(args):
    with open(args.head, "rb") as f:
        req = f.read()
    out = {}
    try:
        s = socket.create_connection(addr(args.connect), timeout=args.timeout)
        s.sendall(req)
        head, body = read_head(s)
        out["head"] = head.decode("latin-1")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                n = int(value.strip() or 0)
        while len(body) < n:
            b = s.recv(4096)
            if not b:
                break
            body += b
        out["body"] = body.decode("latin-1")
        s.close()
    except (OSError, ValueError) as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--listen")
    ap.add_argument("--connect")
    ap.add_argument("--head")
    ap.add_argument("--log")
    ap.add_argument("--timeout", type=float, default=5)
    args = ap.parse_args()
    server(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    main()
