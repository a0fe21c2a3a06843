# Work Queue manager for examples/study's baseline. The Go driver writes one
# JSON task per line on stdin and reads one JSON result per line on stdout:
#   in:  {"tag": "...", "cmd": "...", "inputs": [[local, remote, cache]], "outputs": [[local, remote]]}
#   out: {"port": N} once, then {"tag": "...", "result": r, "status": s, "output": "..."}
# Tasks arrive a round at a time; the manager gathers a burst of lines before
# it waits on the workers, because work_queue_wait only wakes up for tasks.
import json
import os
import select
import sys
import time

import work_queue as wq

q = wq.WorkQueue(port=0)
# Work Queue listens on every interface; only workers holding the password
# (a file the driver wrote, readable by this user only) may connect.
q.specify_password_file(sys.argv[1])
q.specify_name("burst-study")
print(json.dumps({"port": q.port}), flush=True)

buf = b""
eof = False


def read(timeout):
    """Reads what stdin has within timeout (None: block); returns whole lines."""
    global buf, eof
    r, _, _ = select.select([0], [], [], timeout)
    if not r:
        return []
    data = os.read(0, 1 << 16)
    if not data:
        eof = True
        return []
    buf += data
    *lines, buf = buf.split(b"\n")
    return [l for l in lines if l.strip()]


def submit(line):
    m = json.loads(line)
    if "ready" in m:
        # Wait until that many workers are connected, so that the run's wall
        # time does not include their start (process:// waits for its own).
        deadline = time.time() + 60
        while q.stats.workers_connected < m["ready"] and time.time() < deadline:
            q.wait(0)
            time.sleep(0.02)
        print(json.dumps({"tag": m["tag"], "result": 0, "status": 0,
                          "output": "%d workers" % q.stats.workers_connected}), flush=True)
        return
    t = wq.Task(m["cmd"])
    t.specify_tag(m["tag"])
    for local, remote, cache in m.get("inputs", []):
        t.specify_input_file(local, remote, cache=cache)
    for local, remote in m.get("outputs", []):
        t.specify_output_file(local, remote, cache=False)
    t.specify_cores(1)
    q.submit(t)


while not (eof and q.empty()):
    lines = read(None if q.empty() and not eof else 0)
    while lines:
        for l in lines:
            submit(l)
        lines = read(0.005)  # the rest of the burst
    if q.empty():
        continue
    t = q.wait(1)
    while t:
        print(json.dumps({"tag": t.tag, "result": t.result, "status": t.return_status,
                          "output": (t.output or "")[-2000:]}), flush=True)
        t = q.wait(0)
