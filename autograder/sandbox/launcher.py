"""Confine a grading kernel: resource limits, and a sandbox of its own among the kernels graded
at the same time.

``autograder.sandbox.zygote`` calls ``confine`` in each forked kernel before ipykernel starts. The
options are those of the grading kernelspec (see ``autograder.sandbox.site``):

    --memory-mb M --file-mb F --processes P [--cgroup-file PATH] [--read-only PATH ...]
    [--hide PATH ...] [--isolation-file PATH]

The sandbox (``sandbox``) is a set of new namespaces: PID (the kernel is process 1 of its own and
sees, signals and ptraces only its own processes), network (only a loopback of its own, so no
address of this machine or any other), mount (a root file system built from an allowlist: the
--read-only paths, the notebook's folder and the connection file's folder writable, a private
/tmp, home folder, /dev and /proc, nothing else; any --hide folder inside an allowed one is
covered). As root the kernel then runs under a user id of its own (``KERNEL_UID_BASE`` plus the
pid of its supervisor, so no two kernels that run at the same time share one); otherwise the
namespaces are made in a user namespace and the kernel keeps the grader's user id. Where the
system refuses namespaces the kernel starts without them and the isolation file says why.
Sandboxed or not, the kernel then runs without any capability and is not dumpable, so it cannot
undo the mounts, raise its limits or leave its cgroup.

It must import nothing from ``autograder``: inside the kernel's environment that name is the
grading stub.
"""
import argparse
import ctypes
import fcntl
import glob
import os
import platform
import resource
import signal
import socket
import struct

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
SIOCSIFFLAGS, IFF_UP = 0x8914, 0x1
PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# Kernels run as root get the user id KERNEL_UID_BASE + pid: above any real user, below 2**32 - 1.
KERNEL_UID_BASE = 2_000_000_000
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/nvidia*"]

PIDS_CGROUP_ROOTS = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]


def limit_processes(count, cgroup_file):
    """Cap the processes and threads of the kernel: a pids cgroup where we may make one (root,
    which RLIMIT_NPROC does not bind), else RLIMIT_NPROC above the threads the user already runs."""
    if os.geteuid() == 0:
        for root in PIDS_CGROUP_ROOTS:
            if os.path.exists(os.path.join(root, "pids.max")) or os.path.exists(os.path.join(root, "cgroup.procs")):
                # Named after the grading run (``autograder.grading.scratch``), which removes it if the run dies.
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
    running = sum(_threads_of(entry, os.getuid()) for entry in os.listdir("/proc") if entry.isdigit())
    resource.setrlimit(resource.RLIMIT_NPROC, (running + count, running + count))


def _threads_of(pid, uid):
    """The threads of process ``pid`` if its real user is ``uid``, else 0: RLIMIT_NPROC counts
    threads, not processes, by real user."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["Threads"]) if int(fields["Uid"].split()[0]) == uid else 0
    except (OSError, KeyError, ValueError):
        return 0


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, source, target, kind, flags, data, what):
    encode = lambda value: value.encode() if isinstance(value, str) else value  # noqa: E731
    _check(libc.mount(encode(source), encode(target), encode(kind), flags, encode(data)), what)


def _mount_flags(path):
    """The flags of the mount holding ``path`` that a remount must repeat (in a user namespace
    the kernel refuses to clear them)."""
    flags = os.statvfs(path).f_flag
    kept = [(os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, 0x400),
            (os.ST_NODIRATIME, 0x800), (os.ST_RELATIME, 0x200000), (0x2000, 0x100)]  # the last: nosymfollow
    return sum(mount_flag for statvfs_flag, mount_flag in kept if flags & statvfs_flag)


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def enter_namespaces():
    """Unshare the mount, PID and network namespaces (in a new user namespace unless root).
    Raises OSError where the system refuses."""
    libc, uid, gid = _libc(), os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
    if uid == 0:
        _check(libc.unshare(flags), "unshare")
        return
    _check(libc.unshare(CLONE_NEWUSER | flags), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


def supervise(kernel):
    """In the process that made the namespaces (outside the new PID namespace, the one the grader
    signals and waits for): forward the end of the kernel, wait for it, exit with its status."""
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the verifier channel belongs to the kernel alone
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is for the kernel, in our process group
    for number in (signal.SIGTERM, signal.SIGHUP):
        # Process 1 of a namespace ignores signals it has no handler for: end it for good.
        signal.signal(number, lambda *_: os.kill(kernel, signal.SIGKILL))
    while True:
        _, status = os.waitpid(kernel, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _place(root, path, handle):
    """``path`` inside the new ``root``, created like the original (a folder or a file) that
    ``handle`` holds open."""
    target = root + path
    if not os.path.lexists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(f"/proc/self/fd/{handle}"):
            os.makedirs(target)
        else:
            open(target, "w").close()
    return target


def build_root(root, read_only, writable, hidden, uid, file_mb):
    """Mount the kernel's file system at ``root`` (a folder of this mount namespace): a tmpfs with
    the allowed paths bound into it at their own paths, then make it the root. ``uid`` owns the
    private /tmp and home folder."""
    libc = _libc()
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, None, "make mounts private")
    links = {p: os.readlink(p) for p in read_only if os.path.islink(p)}  # /bin -> usr/bin on merged /usr
    read_only = {os.path.realpath(p) for p in read_only if os.path.exists(p)}
    read_only = {p for p in read_only if not any(_inside(p, q) for q in read_only if q != p)}
    devices = {d for pattern in DEVICES for d in glob.glob(pattern)}
    writable = {os.path.realpath(p) for p in writable if os.path.exists(p)} | devices
    home = os.path.realpath(os.environ.get("HOME") or "/")
    private = {"/tmp": "mode=1777", "/dev/shm": "mode=1777", "/dev": "mode=755"}
    if home != "/":
        private[home] = "mode=700"
    # Opened before anything is mounted over them (the new root may cover their parents).
    handles = {p: os.open(p, os.O_PATH) for p in sorted(read_only | writable)}
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID, "size=1m,mode=755", "mount the new root")
    try:
        plan = [(p, "private") for p in private] + [(p, "bind") for p in handles] + [("/proc", "proc")]
        for path, kind in sorted(plan, key=lambda item: (len(item[0]), item[0])):
            if kind == "private":
                size = f"size={file_mb}m,uid={uid},gid={uid}," if path != "/dev" else "size=64k,"
                os.makedirs(root + path, exist_ok=True)
                _mount(libc, "tmpfs", root + path, "tmpfs", MS_NOSUID | (MS_NODEV if path != "/dev" else 0),
                       size + private[path], f"mount a private {path}")
            elif kind == "proc":
                os.makedirs(root + path, exist_ok=True)
                _mount(libc, "proc", root + path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None, "mount /proc")
            else:
                # The original may be covered by now (the new root lies in the connection file's folder).
                source = f"/proc/self/fd/{handles[path]}"
                target = _place(root, path, handles[path])
                # Not recursive where writable, or it would hold a copy of the new root.
                _mount(libc, source, target, None, MS_BIND | (MS_REC if path not in writable else 0), None,
                       f"bind {path}")
                if path not in writable:
                    _mount(libc, None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(source), None,
                           f"make {path} read-only")
        for link, destination in links.items():
            if not os.path.lexists(root + link):
                os.symlink(destination, root + link)
        for name, destination in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                                  ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(destination, f"{root}/dev/{name}")
        for folder in hidden:  # e.g. an output folder inside an allowed one
            folder = os.path.realpath(folder)
            if os.path.isdir(root + folder) and any(_inside(folder, p) for p in handles):
                _mount(libc, "tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=755",
                       f"cover {folder}")
    except OSError:
        libc.umount2(root.encode(), MNT_DETACH)  # back to the whole file system, all mounts made here gone
        raise
    finally:
        for handle in handles.values():
            os.close(handle)
    cwd = os.getcwd()
    os.chdir(root)
    number = PIVOT_ROOT_SYSCALL.get(platform.machine())
    if number is not None and libc.syscall(number, b".", b".") == 0:
        _check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    else:  # without capabilities left, a chroot is as final
        os.chroot(".")
    _mount(libc, None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None, "make / read-only")
    os.chdir(cwd)


def loopback_up():
    """Bring up the loopback of the kernel's network namespace (the only interface it has)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
        fcntl.ioctl(handle, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP))


def drop_capabilities(uid=None):
    """Give up every capability for good (effective, permitted, inheritable, ambient, bounding,
    and no regaining any through set-user-id programs), first switching to ``uid`` if given: without
    them the kernel cannot undo its mounts, raise its limits or leave its cgroup. A forked kernel
    never calls execve, which is what would otherwise clear them. The kernel is then not dumpable:
    no process of its user may ptrace it or read its memory."""
    libc = _libc()
    for capability in range(int(open("/proc/sys/kernel/cap_last_cap").read()) + 1):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header, data = _CapabilityHeader(CAPABILITY_VERSION_3, 0), (_CapabilityData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "drop capabilities")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "forbid new privileges")
    _check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "make the kernel undumpable")
    status = open("/proc/self/status").read()
    if any(int(line.split()[1], 16) for line in status.splitlines() if line.startswith(("CapEff", "CapPrm"))):
        raise OSError("capabilities are still held after dropping them")


def sandbox(options, connection_file):
    """Put this process in a sandbox of its own; returns the isolation record. The process that
    returns is the kernel, process 1 of a new PID namespace; the one the grader started stays
    outside it as its supervisor and never returns. Where namespaces are refused, returns
    "not isolated: why" with nothing changed."""
    try:
        enter_namespaces()
    except OSError as error:
        return f"not isolated: {error}"
    uid = KERNEL_UID_BASE + os.getpid() if os.geteuid() == 0 else None
    kernel = os.fork()
    if kernel:
        supervise(kernel)
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # ends with its supervisor
    connection_file = os.path.abspath(connection_file)
    writable = [os.getcwd(), os.path.dirname(connection_file)]
    if uid is not None:
        # The kernel's own user reads its connection file and owns its notebook folder, including
        # what an earlier kernel of the same notebook wrote there (cells re-run after a crash).
        os.chown(connection_file, uid, uid, follow_symlinks=False)
        for folder, _, files in os.walk(os.getcwd()):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                os.chown(path, uid, uid, follow_symlinks=False)
    loopback_up()
    try:
        build_root(os.path.dirname(connection_file), options.read_only, writable, options.hide,
                   uid if uid is not None else os.geteuid(), options.file_mb)
        outcome = "isolated"
    except OSError as error:  # e.g. a container that forbids a new /proc: the whole file system stays
        outcome = f"partly isolated (own processes and network, but the whole file system): {error}"
        uid = None  # a user of its own might not read the Python environment (a folder under /root)
    drop_capabilities(uid)
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # a new user id cleared it
    return outcome


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
    parser = argparse.ArgumentParser(prog="launcher")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--cgroup-file")
    parser.add_argument("--read-only", action="append", default=[])
    parser.add_argument("--hide", action="append", default=[])
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
    record = open(options.isolation_file, "w") if options.isolation_file else None  # unreachable once sandboxed
    outcome = "not isolated: the sandbox failed"
    try:
        outcome = sandbox(options, connection_file) if options.read_only else "not isolated: no allowlist given"
    except OSError as error:  # namespaces made, sandbox incomplete: the kernel does not start
        outcome = f"not isolated: {error}"
        raise
    finally:
        if record is not None:
            record.write(outcome)
            record.close()
    if outcome.startswith("not isolated"):
        drop_capabilities()
