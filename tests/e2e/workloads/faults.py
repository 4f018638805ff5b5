"""A target that meets a fault halfway (tests/e2e/test_faults.py).

faults.py ACTION: spins in spin() and then, by ACTION:
  wait          prints "ready PID" and spins until someone kills it
  segv-ctypes   spins 0.3 s, then reads address 0 through ctypes
  segv-kill     spins 0.3 s, then sends itself SIGSEGV
  sigint-catch  prints "ready PID", spins; on KeyboardInterrupt prints
                "caught" and exits 0
  sigint        prints "ready PID" and spins; KeyboardInterrupt ends it
Each spin gives up after 60 s, so a test that fails never hangs."""
import os
import signal
import sys
import time


def spin(seconds):
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        for i in range(1000):
            x += i
    return x


def ready():
    print("ready", os.getpid(), flush=True)


action = sys.argv[1]
if action == "wait" or action == "sigint":
    ready()
    spin(60)
elif action == "segv-ctypes":
    spin(0.3)
    import ctypes
    ctypes.string_at(0)
elif action == "segv-kill":
    spin(0.3)
    os.kill(os.getpid(), signal.SIGSEGV)
elif action == "sigint-catch":
    ready()
    try:
        spin(60)
    except KeyboardInterrupt:
        print("caught", flush=True)
        sys.exit(0)
else:
    sys.exit("unknown action %r" % action)
print("not killed", flush=True)
sys.exit(3)
