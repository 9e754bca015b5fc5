#!/usr/bin/python3
"""A WebSocket client through an explicit HTTP proxy: python3-websockets
10.4 has no proxy support, so this opens the CONNECT tunnel itself
(optionally with Basic credentials), then runs the websockets handshake
and an echo over that socket (TLS inside the tunnel for wss://).
Prints one JSON result line with the proxy's status line; exits 0 only
if the tunnel opened and every echo matched.
"""
import argparse
import asyncio
import base64
import json
import os
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit

import websockets


def tunnel(proxy, host, port, user, timeout):
    phost, pport = proxy.rsplit(":", 1)
    s = socket.create_connection((phost.strip("[]"), int(pport)), timeout)
    hp = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    req = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (hp, hp)
    if user:
        req += "Proxy-Authorization: Basic %s\r\n" % \
            base64.b64encode(user.encode()).decode()
    s.sendall((req + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)  # byte by byte: nothing past the head is consumed
        if not b:
            raise ConnectionError("proxy closed: %r" % head)
        head += b
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    return s, status, head.decode("latin-1")


async def run(args):
    u = urlsplit(args.url)
    port = u.port or (443 if u.scheme == "wss" else 80)
    t0 = time.monotonic()
    s, status, head = tunnel(args.proxy, u.hostname, port, args.user,
                             args.timeout)
    res = {"proxy_status": status, "proxy_head": head}
    if " 200 " not in status + " ":
        s.close()
        res.update(result="refused")
        return res
    s.setblocking(False)
    ctx = None
    if u.scheme == "wss":
        ctx = ssl.create_default_context(cafile=args.cafile)
    async with websockets.connect(args.url, sock=s, ssl=ctx,
                                  server_hostname=u.hostname if ctx else None,
                                  ping_interval=None, compression=None,
                                  open_timeout=args.timeout) as ws:
        for i in range(args.count):
            payload = os.urandom(16).hex()
            await ws.send(payload)
            echo = await asyncio.wait_for(ws.recv(), args.timeout)
            if echo != payload:
                res.update(result="mismatch", message=i)
                return res
    res.update(result="ok", messages=args.count,
               ms=round((time.monotonic() - t0) * 1000))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url")
    ap.add_argument("--proxy", required=True, help="HOST:PORT")
    ap.add_argument("--user", help="USER:PASSWORD for Basic")
    ap.add_argument("--cafile")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=5)
    args = ap.parse_args()
    try:
        res = asyncio.run(run(args))
    except Exception as e:  # the class of failure is the evidence
        res = {"result": "error", "error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(res), flush=True)
    sys.exit(0 if res["result"] == "ok" else 1)


if __name__ == "__main__":
    main()
