"""Does nothing itself but wait for a child process that burns 0.4 s of CPU."""
import os
import subprocess
import sys

busy = os.path.join(os.path.dirname(os.path.abspath(__file__)), "busy.py")
subprocess.run([sys.executable, busy, "0.4"], check=True)
