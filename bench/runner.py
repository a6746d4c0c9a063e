"""The lean process that starts and times every measured child.

Run as ``python -S -E bench/runner.py SCRATCH_DIR``: stdlib only, never imported by the rest
of ``bench``.

Why a separate process: on Linux a child's ``ru_maxrss`` includes the memory of the process it
was forked from (fork copies its page tables; vfork/posix_spawn hand over the parent's whole
high-water mark at exec). Forking from the benchmark's main process, which hosts moto and the
fake ECR, would report ~100 MiB for ``/bin/true``. Forked from here the floor is this small
interpreter's anonymous memory (the report prints it, measured on ``/bin/true``).

Protocol: one JSON job per stdin line, one JSON answer per stdout line::

    {"argv": [...], "env": {...}, "cwd": "/tmp/x", "input": "text", "count": 1}
    -> {"batch_wall": 0.41, "runs": [{"wall": 0.41, "maxrss_kib": 9120, "rc": 0,
                                      "stdout": "<first 4 KiB>", "stderr": "<last 4 KiB>"}]}

``count`` children start together (for concurrency runs); each one's wall time runs from just
before its fork to its own exit, ``batch_wall`` to the last exit. Rusage comes from
``os.wait4`` on each child's pid, so it is that child's own, not a sum over all children.
"""

import json
import os
import sys
import time

TAIL = 4096


def start(argv, env, cwd, data, out_path, err_path):
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: no Python-level work beyond wiring fds and exec
        try:
            os.chdir(cwd)
            os.dup2(read_end, 0)
            os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
            os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
            os.closerange(3, 256)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(read_end)
    if data:  # inputs are tiny: they fit in the pipe buffer, so this never blocks
        os.write(write_end, data)
    os.close(write_end)
    return pid, started


def read(path, tail):
    with open(path, "rb") as f:
        data = f.read()
    data = data[-TAIL:] if tail else data[:TAIL]
    return data.decode("utf-8", "replace")


def run(job, scratch):
    count = job.get("count", 1)
    data = job.get("input", "").encode()
    paths = [(os.path.join(scratch, f"{i}.out"), os.path.join(scratch, f"{i}.err"))
             for i in range(count)]
    batch_start = time.perf_counter()
    children = {}
    for i, (out_path, err_path) in enumerate(paths):
        pid, started = start(job["argv"], job["env"], job["cwd"], data, out_path, err_path)
        children[pid] = (i, started)
    runs = [None] * count
    while children:
        pid, status, usage = os.wait4(-1, 0)
        ended = time.perf_counter()
        if pid not in children:
            continue
        i, started = children.pop(pid)
        runs[i] = {"wall": ended - started, "maxrss_kib": usage.ru_maxrss,
                   "rc": os.waitstatus_to_exitcode(status)}
    batch_wall = time.perf_counter() - batch_start
    for result, (out_path, err_path) in zip(runs, paths):
        result["stdout"] = read(out_path, tail=False)
        result["stderr"] = read(err_path, tail=True)
    return {"batch_wall": batch_wall, "runs": runs}


def main():
    scratch = sys.argv[1]
    for line in sys.stdin:
        sys.stdout.write(json.dumps(run(json.loads(line), scratch)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
