"""Many threads taking turns on the GIL: the kernel swaps their inherited
perf contexts at context switches, so a thread's signals stop following
its own CPU time.  The agent must not weigh samples by the thread clocks
alone there (src/agent/handler.c, clock_periods): the periods it adds
stay within what the event counted.  THREADS threads each run small
Python calls for SECONDS of their own CPU time, handing the GIL over
every hundred calls."""
import sys
import threading
import time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 32
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1


def step(x):
    return (x * 31 + 7) & 0xFFFF


def work():
    t0 = time.thread_time()
    x = 0
    while time.thread_time() - t0 < SECONDS:
        for _ in range(100):
            x = step(x)
        time.sleep(0)  # hand the GIL over: a context switch
    return x


def main():
    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stderr.write("threads %d done\n" % THREADS)


if __name__ == "__main__":
    main()
