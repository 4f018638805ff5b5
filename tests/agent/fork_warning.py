"""os.fork() under the agent: with argv[1] == "threads" a Python thread
is alive during the fork, so Python 3.12+ must warn that the process is
multi-threaded, naming this file; without it the program has no thread
of its own and must not be warned about (the agent's resolver thread is
stopped around the fork)."""
import os
import sys
import threading
import time


def burn(seconds):
    t0 = time.thread_time()
    while time.thread_time() - t0 < seconds:
        pass


def main():
    stop = threading.Event()
    if sys.argv[1:] == ["threads"]:
        t = threading.Thread(target=stop.wait)
        t.start()
    burn(0.1)  # samples, so that the resolver has work before the fork
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            burn(0.01)
            os._exit(0)
        os.waitpid(pid, 0)
    stop.set()
    sys.stderr.write("forked\n")


if __name__ == "__main__":
    main()
