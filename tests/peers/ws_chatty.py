#!/usr/bin/python3
"""A WebSocket client that either talks every --every seconds or stays
silent, for --seconds, then reports how the connection ended as one JSON
line: {"result": "open"} if it was still up, else "closed" with the close
code, or "reset"."""
import argparse
import asyncio
import json
import sys

import websockets


async def run(args):
    try:
        async with websockets.connect(args.url, ping_interval=None,
                                      open_timeout=5) as ws:
            loop = asyncio.get_running_loop()
            end = loop.time() + args.seconds
            while loop.time() < end:
                if args.every > 0:
                    await ws.send("tick")
                    await asyncio.wait_for(ws.recv(), 5)
                    await asyncio.sleep(args.every)
                else:
                    try:
                        await asyncio.wait_for(ws.recv(), end - loop.time())
                    except asyncio.TimeoutError:
                        break
            return {"result": "open"}
    except websockets.ConnectionClosed as e:
        # websockets reports a reset as a close without a frame; the
        # reset itself is the exception's cause.
        if isinstance(e.__cause__, ConnectionResetError):
            return {"result": "reset", "error": str(e.__cause__),
                    "t": round(asyncio.get_running_loop().time() - args.t0, 2)}
        return {"result": "closed", "code": e.rcvd.code if e.rcvd else None,
                "t": round(asyncio.get_running_loop().time() - args.t0, 2)}
    except (ConnectionResetError, OSError) as e:
        return {"result": "reset", "error": str(e),
                "t": round(asyncio.get_running_loop().time() - args.t0, 2)}


async def main(args):
    args.t0 = asyncio.get_running_loop().time()
    return await run(args)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url")
    ap.add_argument("--every", type=float, default=0)
    ap.add_argument("--seconds", type=float, default=3)
    res = asyncio.run(main(ap.parse_args()))
    print(json.dumps(res), flush=True)
