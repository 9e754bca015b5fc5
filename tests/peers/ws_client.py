#!/usr/bin/python3
"""A WebSocket client (python3-websockets) that sends messages and checks
each echo. Prints one JSON result line; exits 0 only if every echo
matched.

--sizes geometric:N:MAX sends N messages whose sizes grow geometrically
from 1 byte to MAX bytes; --sizes 10,20,30 sends those sizes.
--server-name NAME sends NAME as the TLS SNI and checks the certificate
for it; --ping sends a ping after the messages and reports whether its
pong came ("pong": true or false) without failing on it.
"""
import argparse
import asyncio
import hashlib
import json
import os
import ssl
import sys
import time

import websockets


def sizes_from(spec):
    if spec.startswith("geometric:"):
        _, n, top = spec.split(":")
        n, top = int(n), int(top)
        if n == 1:
            return [top]
        return [max(1, round(top ** (i / (n - 1)))) for i in range(n)]
    return [int(s) for s in spec.split(",")]


async def run(args):
    ctx = None
    if args.url.startswith("wss:"):
        ctx = ssl.create_default_context(cafile=args.cafile)
    sizes = sizes_from(args.sizes)
    sent = 0
    t0 = time.monotonic()
    extra = {"server_hostname": args.server_name} if args.server_name else {}
    if args.ping:
        extra["close_timeout"] = 2  # a dropped close frame is not waited for
    res = {}
    async with websockets.connect(args.url, ssl=ctx, max_size=None,
                                  ping_interval=None, compression=None,
                                  open_timeout=args.timeout, **extra) as ws:
        for i, n in enumerate(sizes):
            payload = os.urandom(n) if i % 2 else os.urandom(n).hex()[:n]
            await ws.send(payload)
            echo = await asyncio.wait_for(ws.recv(), args.timeout)
            if echo != payload:
                return {"result": "mismatch", "message": i, "size": n}
            sent += n
        if args.ping:
            try:
                await asyncio.wait_for(await ws.ping(b"proxysim"), 2)
                res["pong"] = True
            except asyncio.TimeoutError:
                res["pong"] = False
    res.update({"result": "ok", "messages": len(sizes), "bytes": sent,
                "ms": round((time.monotonic() - t0) * 1000)})
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url")
    ap.add_argument("--sizes", default="1,10,100")
    ap.add_argument("--cafile")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--server-name")
    ap.add_argument("--ping", action="store_true")
    args = ap.parse_args()
    try:
        res = asyncio.run(run(args))
    except Exception as e:  # the class of failure is the evidence
        res = {"result": "error", "error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(res), flush=True)
    sys.exit(0 if res["result"] == "ok" else 1)


if __name__ == "__main__":
    main()
