"""Start a grading kernel under resource limits (copied into each scratch course, run as a script).

Usage: python kernel_launcher.py --memory-mb M --file-mb F --processes P [--cgroup-file PATH]
       -- python -m ipykernel_launcher -f CONNECTION_FILE

It must import nothing from ``autograder``: inside the kernel's environment that name is the
grading stub.
"""
import argparse
import os
import resource
import signal
import sys

PIDS_CGROUP_ROOTS = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]


def limit_processes(count, cgroup_file):
    """Cap the processes and threads of the kernel: a pids cgroup where we may make one (root,
    which RLIMIT_NPROC does not bind), else RLIMIT_NPROC above what the user already runs."""
    if os.geteuid() == 0:
        for root in PIDS_CGROUP_ROOTS:
            if os.path.exists(os.path.join(root, "pids.max")) or os.path.exists(os.path.join(root, "cgroup.procs")):
                group = os.path.join(root, f"course-kernel-{os.getpid()}")
                try:
                    os.mkdir(group)
                    with open(os.path.join(group, "pids.max"), "w") as handle:
                        handle.write(str(count))
                    with open(os.path.join(group, "cgroup.procs"), "w") as handle:
                        handle.write(str(os.getpid()))
                except OSError:
                    continue
                if cgroup_file:
                    with open(cgroup_file, "w") as handle:
                        handle.write(group)
                return
        return
    running = sum(1 for entry in os.listdir("/proc") if entry.isdigit() and _owned(entry))
    resource.setrlimit(resource.RLIMIT_NPROC, (running + count, running + count))


def _owned(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.geteuid()
    except OSError:
        return False


def main(argv):
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cgroup-file")
    options = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    memory, file_size = options.memory_mb * 2**20, options.file_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A write past the file limit then fails with an OSError instead of killing the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit_processes(options.processes, options.cgroup_file)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
