"""Says it is ready, then sleeps up to 30 s unless a signal ends it."""
import sys
import time

print("ready", flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)
