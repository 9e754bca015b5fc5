#!/usr/bin/python3
"""TCP peers that time what the middlebox does to a flow (one JSON line).

server --listen ADDR:PORT --mode M   (serves until killed)
  echo        echo everything back until EOF
  send        send --bytes bytes at once, then close
  sink        read to EOF, answer the count in decimal, close
client --connect ADDR:PORT --mode M
  rtt         send --bytes bytes --count times, each after the echo of the
              last: {"rtt_ms": [...]}
  download    read to EOF: {"bytes": N, "seconds": S, "fin_after_ms": T}
              (fin_after_ms: from the last data byte to the EOF)
  upload      send --bytes bytes, shut down writing, read to EOF:
              {"echoed": N, "reply": the first 32 bytes, "seconds": S}
"""
import argparse
import json
import socket
import threading
import time


def addr(spec):
    host, _, port = spec.rpartition(":")
    return host.strip("[]"), int(port)


def serve(args):
    host, port = addr(args.listen)
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(16)
    print("ready", flush=True)

    def one(s):
        with s:
            if args.mode == "send":
                s.sendall(b"x" * args.bytes)
                return
            if args.mode == "sink":
                n = 0
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    n += len(b)
                s.sendall(str(n).encode())
                return
            while True:
                b = s.recv(65536)
                if not b:
                    return
                s.sendall(b)

    while True:
        s, _ = ls.accept()
        threading.Thread(target=one, args=(s,), daemon=True).start()


def client(args):
    s = socket.create_connection(addr(args.connect), timeout=args.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = {}
    if args.mode == "rtt":
        rtts = []
        for _ in range(args.count):
            t0 = time.monotonic()
            s.sendall(b"p" * args.bytes)
            got = 0
            while got < args.bytes:
                b = s.recv(65536)
                if not b:
                    break
                got += len(b)
            rtts.append(round((time.monotonic() - t0) * 1000, 1))
        out["rtt_ms"] = rtts
    elif args.mode == "download":
        t0 = time.monotonic()
        n, last = 0, t0
        while True:
            b = s.recv(65536)
            if not b:
                break
            n += len(b)
            last = time.monotonic()
        end = time.monotonic()
        out = {"bytes": n, "seconds": round(end - t0, 3),
               "fin_after_ms": round((end - last) * 1000, 1)}
    elif args.mode == "upload":
        t0 = time.monotonic()
        s.sendall(b"u" * args.bytes)
        s.shutdown(socket.SHUT_WR)
        n, head = 0, b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            if len(head) < 32:
                head += b[:32 - len(head)]
            n += len(b)
        out = {"echoed": n, "reply": head.decode("latin-1"),
               "seconds": round(time.monotonic() - t0, 3)}
    s.close()
    print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--listen")
    ap.add_argument("--connect")
    ap.add_argument("--mode", required=True)
    ap.add_argument("--bytes", type=int, default=10)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    if args.role == "server":
        serve(args)
    else:
        try:
            client(args)
        except OSError as e:
            print(json.dumps({"error": str(e)}), flush=True)


if __name__ == "__main__":
    main()
