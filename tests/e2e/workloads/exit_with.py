"""Prints a line, then exits with the status in argv[1], or dies of
SIGTERM when argv[1] is 'term'."""
import os
import signal
import sys

print("about to exit", sys.argv[1], flush=True)
if sys.argv[1] == "term":
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
sys.exit(int(sys.argv[1]))
