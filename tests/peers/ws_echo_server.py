#!/usr/bin/python3
"""A WebSocket echo server (python3-websockets, RFC 6455) for the lab.

Listens on each --listen ADDR:PORT, optionally with TLS, echoes every
message, and appends one JSON line per handshake to --log with the
request headers exactly as they reached the server, so a learner (or a
test) sees what the middlebox let through.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time

import websockets


def parse_listen(spec):
    host, _, port = spec.rpartition(":")
    return host.strip("[]") or None, int(port)


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    args = ap.parse_args()

    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    logf = open(args.log, "a", buffering=1) if args.log else None

    async def log_request(path, headers):
        # Before the handshake is checked, so that requests the server
        # refuses (a stripped Upgrade, say) are logged as they arrived.
        if logf:
            logf.write(json.dumps({
                "ts": time.time(), "path": path,
                "headers": list(headers.raw_items())}) + "\n")
        return None

    async def echo(ws, path):
        try:
            async for msg in ws:
                await ws.send(msg)
        except websockets.ConnectionClosed:
            pass

    servers = []
    for spec in args.listen:
        host, port = parse_listen(spec)
        servers.append(await websockets.serve(
            echo, host, port, ssl=ctx, max_size=None, max_queue=None,
            process_request=log_request,
            ping_interval=None, compression=None))
    print("ready", flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
