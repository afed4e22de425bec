#!/usr/bin/python3
"""timeit.py - run a command, then write its wall time, CPU time and peak
RSS to a file (the bench scripts' /usr/bin/time, with microseconds).

  timeit.py OUT CMD [ARG...]     stdin, stdout and stderr go to CMD

OUT gets one line: "WALL_S USER_S SYS_S MAXRSS_KIB" (wall from just
before the fork to the child's exit; CPU and RSS from wait4's rusage).
Exits with the command's status.
"""
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        sys.stderr.write("timeit.py: %s: %s\n" % (cmd[0], e.strerror))
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
with open(out, "w") as f:
    f.write("%.6f %.6f %.6f %d\n" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
