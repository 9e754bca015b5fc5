#!/usr/bin/python3
"""Plain TCP peers for relay tests.

server --listen ADDR:PORT --mode M   (serves until killed)
  whoami    answer "local=IP:PORT peer=IP:PORT\\n", then close
  sha256    read to EOF, answer the hex sha256 of what arrived, close
  reset     read the first bytes, then reset the connection
  readlog   read to EOF or reset, append "eof N" / "reset N" to --log

client --connect ADDR:PORT --mode M  (prints a result line)
  whoami    print the server's answer
  halfclose send --data, shut down writing, print the answer to EOF
  expect-reset  send "x", expect a reset: print "reset" or what happened
  reset     send "hello", then reset the connection
"""
import argparse
import hashlib
import socket
import struct
import sys
import threading


def addr(spec):
    host, _, port = spec.rpartition(":")
    return host.strip("[]"), int(port)


def fmt(a):
    host, port = a[0], a[1]
    if host.startswith("::ffff:"):
        host = host[7:]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def rst(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def serve_one(conn, peer, args):
    try:
        if args.mode == "whoami":
            conn.sendall(("local=%s peer=%s\n" % (fmt(conn.getsockname()),
                                                  fmt(peer))).encode())
            conn.close()
        elif args.mode == "sha256":
            h = hashlib.sha256()
            while True:
                b = conn.recv(1 << 16)
                if not b:
                    break
                h.update(b)
            conn.sendall((h.hexdigest() + "\n").encode())
            conn.close()
        elif args.mode == "reset":
            conn.recv(100)
            rst(conn)
        elif args.mode == "readlog":
            n, how = 0, "eof"
            try:
                while True:
                    b = conn.recv(1 << 16)
                    if not b:
                        break
                    n += len(b)
            except ConnectionResetError:
                how = "reset"
            with open(args.log, "a") as f:
                f.write("%s %d\n" % (how, n))
            conn.close()
    except OSError as e:
        print("server: %s" % e, file=sys.stderr)


def server(args):
    host, port = addr(args.listen)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        # Leave IPv4 to a separate listener on the same port.
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    s.listen(64)
    print("ready", flush=True)
    while True:
        conn, peer = s.accept()
        threading.Thread(target=serve_one, args=(conn, peer, args),
                         daemon=True).start()


def client(args):
    host, port = addr(args.connect)
    s = socket.create_connection((host, port), timeout=args.timeout)
    if args.mode == "whoami":
        print(s.makefile().readline().strip())
    elif args.mode == "halfclose":
        s.sendall(args.data.encode())
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            out += b
        print(out.decode().strip())
    elif args.mode == "expect-reset":
        s.sendall(b"x")
        try:
            b = s.recv(100)
            print("eof" if not b else "data")
        except ConnectionResetError:
            print("reset")
        except socket.timeout:
            print("timeout")
    elif args.mode == "reset":
        s.sendall(b"hello")
        rst(s)
        print("sent reset")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--listen")
    ap.add_argument("--connect")
    ap.add_argument("--mode", required=True)
    ap.add_argument("--data", default="hello")
    ap.add_argument("--log")
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()
    try:
        server(args) if args.role == "server" else client(args)
    except OSError as e:
        print("error %s: %s" % (type(e).__name__, e))
        sys.exit(1)


if __name__ == "__main__":
    main()
