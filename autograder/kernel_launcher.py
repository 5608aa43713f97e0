"""Confine a grading kernel: resource limits and no sight of the course's secrets.

``autograder.kernel_zygote`` calls ``confine`` in each forked kernel before ipykernel starts. The
options are those of the grading kernelspec (see ``autograder.kernel_site``):

    --memory-mb M --file-mb F --processes P [--cgroup-file PATH] [--hide PATH ...] [--keep PATH ...]
    [--blank FILE ...] [--readonly PATH ...] [--isolation-file PATH]

Hiding uses a private mount namespace (as root, or in a user namespace otherwise): every --hide
folder is covered by an empty tmpfs, every --keep folder inside one is mounted back, every
--blank file is covered by /dev/null, every --readonly folder is mounted read-only (so that no
kernel can leave code behind for the next one to run). Where the system refuses, the kernel
starts without hiding and the isolation file says why. Hidden or not, the kernel then runs
without any capability, so it cannot undo the mounts, raise its limits or leave its cgroup.

It must import nothing from ``autograder``: inside the kernel's environment that name is the
grading stub.
"""
import argparse
import ctypes
import os
import resource
import signal

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
CAPABILITY_VERSION_3 = 0x20080522

PIDS_CGROUP_ROOTS = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]


def limit_processes(count, cgroup_file):
    """Cap the processes and threads of the kernel: a pids cgroup where we may make one (root,
    which RLIMIT_NPROC does not bind), else RLIMIT_NPROC above what the user already runs."""
    if os.geteuid() == 0:
        for root in PIDS_CGROUP_ROOTS:
            if os.path.exists(os.path.join(root, "pids.max")) or os.path.exists(os.path.join(root, "cgroup.procs")):
                # Named after the grading run (``autograder.grading_run``), which removes it if the run dies.
                run = os.environ.get("COURSE_GRADING_RUN")
                group = os.path.join(root, "-".join(filter(None, ["course-kernel", run, str(os.getpid())])))
                try:
                    os.mkdir(group)
                    with open(os.path.join(group, "pids.max"), "w") as handle:
                        handle.write(str(count))
                    with open(os.path.join(group, "cgroup.procs"), "w") as handle:
                        handle.write(str(os.getpid()))
                except OSError:
                    continue
                if cgroup_file:  # one line per kernel: a restarted kernel gets a group of its own
                    with open(cgroup_file, "a") as handle:
                        handle.write(group + "\n")
                return
        return
    running = sum(1 for entry in os.listdir("/proc") if entry.isdigit() and _owned(entry))
    resource.setrlimit(resource.RLIMIT_NPROC, (running + count, running + count))


def _owned(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.geteuid()
    except OSError:
        return False


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _enter_private_mount_namespace(libc):
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:
        _check(libc.unshare(CLONE_NEWNS), "unshare")
    else:
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _mount_flags(path):
    """The flags of the mount holding ``path`` that a remount must repeat (in a user namespace
    the kernel refuses to clear them)."""
    flags = os.statvfs(path).f_flag
    kept = [(os.ST_NOSUID, 0x2), (os.ST_NODEV, 0x4), (os.ST_NOEXEC, 0x8), (os.ST_NOATIME, 0x400),
            (os.ST_NODIRATIME, 0x800), (os.ST_RELATIME, 0x200000), (0x2000, 0x100)]  # the last: nosymfollow
    return sum(mount_flag for statvfs_flag, mount_flag in kept if flags & statvfs_flag)


def hide(hidden, kept, blanked, readonly=()):
    """Cover ``hidden`` folders and ``blanked`` files in a private mount namespace, keeping ``kept``
    paths (folders or files) visible, then make ``readonly`` folders unwritable. If covering
    fails, the mounts made so far are undone and OSError is raised; returns the errors of the
    folders that could not be made read-only."""
    libc = ctypes.CDLL(None, use_errno=True)
    hidden = sorted({os.path.realpath(p) for p in hidden if os.path.isdir(p)}, key=len)
    hidden = [h for h in hidden if not any(_inside(h, outer) for outer in hidden if outer != h)]
    kept = sorted({os.path.realpath(p) for p in kept if os.path.exists(p)}, key=len)
    _enter_private_mount_namespace(libc)
    # Opened inside the new namespace: a bind mount's source must belong to it.
    handles = {path: os.open(path, os.O_PATH) for path in kept}
    mounted = []

    def mount(source, target, kind, flags, data, what):
        _check(libc.mount(source, target.encode(), kind, flags, data), what)
        mounted.append(target)

    try:
        for folder in hidden:
            mount(b"tmpfs", folder, b"tmpfs", 0, b"size=64m,mode=755", f"cover {folder}")
        for path in kept:
            if any(_inside(path, folder) for folder in hidden):
                if os.path.isdir(f"/proc/self/fd/{handles[path]}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, "a").close()
                mount(f"/proc/self/fd/{handles[path]}".encode(), path, None, MS_BIND | MS_REC, None, f"keep {path}")
        for path in blanked:
            if os.path.isfile(path):
                mount(b"/dev/null", path, None, MS_BIND, None, f"blank {path}")
    except OSError:
        for target in reversed(mounted):
            libc.umount2(target.encode(), MNT_DETACH)
        raise
    finally:
        for handle in handles.values():
            os.close(handle)
    writable = []
    for path in sorted({os.path.realpath(p) for p in readonly if os.path.isdir(p)}, key=len):
        try:
            if path not in mounted:
                mount(path.encode(), path, None, MS_BIND | MS_REC, None, f"bind {path}")
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(path), None,
                  f"make {path} read-only")
        except OSError as error:
            writable.append(str(error))
    return writable


def drop_capabilities():
    """Give up every capability for good (effective, permitted, inheritable, ambient, bounding,
    and no regaining any through set-user-id programs): without them the kernel cannot undo its
    mounts, raise its limits or leave its cgroup. A forked kernel never calls execve, which is
    what would otherwise clear them."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in range(int(open("/proc/sys/kernel/cap_last_cap").read()) + 1):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapabilityHeader(CAPABILITY_VERSION_3, 0), (_CapabilityData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "drop capabilities")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "forbid new privileges")
    status = open("/proc/self/status").read()
    if any(int(line.split()[1], 16) for line in status.splitlines() if line.startswith(("CapEff", "CapPrm"))):
        raise OSError("capabilities are still held after dropping them")


class _CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilityData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def address_space():
    """Bytes of address space this process holds now."""
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def parse(argv):
    """The confinement options of a kernelspec's argument list."""
    parser = argparse.ArgumentParser(prog="kernel_launcher")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cgroup-file")
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--keep", action="append", default=[])
    parser.add_argument("--blank", action="append", default=[])
    parser.add_argument("--readonly", action="append", default=[])
    parser.add_argument("--isolation-file")
    return parser.parse_args(argv)


def confine(options, connection_file):
    """Apply ``options`` (from ``parse``) to this process, which is about to become the kernel
    that reads ``connection_file``. The memory limit counts from what the process already holds
    (the modules the kernel factory imported), so it bounds what the student's code adds."""
    memory, file_size = address_space() + options.memory_mb * 2**20, options.file_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A write past the file limit then fails with an OSError instead of killing the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit_processes(options.processes, options.cgroup_file)
    if options.hide:
        try:
            writable = hide(options.hide, options.keep + [os.path.abspath(connection_file)], options.blank,
                            options.readonly)
            outcome = f"hidden, but writable: {'; '.join(writable)}" if writable else "hidden"
        except OSError as error:
            outcome = f"not hidden: {error}"
        if options.isolation_file:
            with open(options.isolation_file, "w") as handle:
                handle.write(outcome)
    drop_capabilities()
