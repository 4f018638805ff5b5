"""Ground truth, asyncio: two coroutines interleave on one event loop,
heavy_co doing three times the work of light_co between awaits.
Expected self share of heavy_co: 75%."""
import asyncio
import sys
import time

CPU = {"heavy": 0.0, "light": 0.0}

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3600000
STEPS = 60


async def heavy_co(n):
    x = 0
    for _ in range(STEPS):
        t0 = time.thread_time()
        for i in range(3 * n // STEPS):
            x = i ^ (i >> 3)
        CPU["heavy"] += time.thread_time() - t0
        await asyncio.sleep(0)
    return x


async def light_co(n):
    x = 0
    for _ in range(STEPS):
        t0 = time.thread_time()
        for i in range(n // STEPS):
            x = i ^ (i >> 3)
        CPU["light"] += time.thread_time() - t0
        await asyncio.sleep(0)
    return x


async def main():
    await asyncio.gather(heavy_co(N), light_co(N))


if __name__ == "__main__":
    asyncio.run(main())
    sys.stderr.write("truth %.2f\n" % (100.0 * CPU["heavy"] / (CPU["heavy"] + CPU["light"])))
