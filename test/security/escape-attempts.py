#!/usr/bin/python3
# Escape attempts that a sandboxed instance runs against its own confinement, as its user data.
# One line per attempt on standard output (the instance's console output):
#   PASS <attempt>: <why it was confined>      FAIL <attempt>: <what got through>
# then "DONE <n> attempts". test/integration/sandbox-confinement.test.ts runs it.
#
# Every attempt only TESTS whether something is writable or reachable; none changes a host
# setting. A kernel setting is opened for writing and closed without a write (sysctl checks
# permission at open); /proc/sysrq-trigger is only opened; /proc/kmsg is opened, never read.
# The fork and disk attempts are bounded, so they cannot hurt the host even where unconfined.
import ctypes
import errno
import os
import socket
import stat
import time

# Set by the test for its instance: the process limit + 50, the 1 GiB volume to fill, the host's
# addresses and a port that the host listens on, and host paths that must not be visible.
FORK_BOUND = 600
DISK_PATH = '/mnt/sdf'
DISK_BOUND_MIB = 1024 + 100
HOST_ADDRESSES = ['127.0.0.1']
HOST_PORT = 0
HOST_PATHS = []
# True when the instance has internet egress (a public IP, a route to an internet gateway): its
# packets to other addresses then reach faultline's internet namespace, whose own stack refuses.
EGRESS = False

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
results = []


def report(ok, name, detail):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def attempt(name):
    """Runs fn as one attempt: it returns the reason it was confined, or raises Escaped."""
    def wrap(fn):
        try:
            report(True, name, fn())
        except Escaped as e:
            report(False, name, str(e))
        except Exception as e:  # a broken attempt is a failure, never a silent pass
            report(False, name, f'attempt broke: {e!r}')
        return fn
    return wrap


class Escaped(Exception):
    pass


def err(e):
    return f'{os.strerror(e)} ({errno.errorcode.get(e, e)})'


def open_for_write(path):
    """Opens `path` for writing and closes it without writing; the error if refused."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as e:
        return err(e.errno)
    raise Escaped(f'{path} opens for writing')


def call(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()


def refused(what, r, e):
    if r >= 0:
        raise Escaped(f'{what} succeeded')
    return err(e)


def libc_refused(what, r):
    return refused(what, r, ctypes.get_errno())


def in_child(fn):
    """Runs fn() in a forked child (so that a namespace it makes never touches this process); returns its line."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            out = 'ok ' + fn()
        except Escaped as e:
            out = 'escaped ' + str(e)
        except Exception as e:
            out = f'escaped attempt broke: {e!r}'
        os.write(wr, out.encode())
        os._exit(0)
    os.close(wr)
    out = os.read(rd, 4096).decode()
    os.close(rd)
    os.waitpid(pid, 0)
    if out.startswith('ok '):
        return out[3:]
    raise Escaped(out[len('escaped '):])


# ---- kernel settings ----

for setting in ['kernel/core_pattern', 'kernel/panic', 'kernel/pid_max', 'vm/overcommit_memory', 'vm/drop_caches', 'kernel/modprobe', 'kernel/sysrq', 'fs/file-max']:
    attempt(f'write /proc/sys/{setting}')(lambda setting=setting: open_for_write(f'/proc/sys/{setting}'))


@attempt('write any /proc/sys setting outside /proc/sys/net')
def _():
    tried = 0
    for d, dirs, files in os.walk('/proc/sys'):
        if d == '/proc/sys':
            dirs[:] = [x for x in dirs if x != 'net']
        for f in files:
            p = os.path.join(d, f)
            if os.stat(p).st_mode & 0o222:
                tried += 1
                try:
                    open_for_write(p)
                except Escaped as e:
                    raise Escaped(f'{e} (and maybe more)')
    return f'none of the {tried} settings with a write bit opens for writing'


@attempt('write /proc/sysrq-trigger')
def _():
    return open_for_write('/proc/sysrq-trigger')


@attempt('write other files of /proc')
def _():
    # Pressure-stall triggers are per open file (they watch, they change nothing host-wide).
    allowed = {'/proc/pressure/io', '/proc/pressure/cpu', '/proc/pressure/memory', '/proc/pressure/irq'}
    skip = {'/proc/self', '/proc/thread-self', '/proc/sys'}
    tried = 0
    for d, dirs, files in os.walk('/proc'):
        dirs[:] = [x for x in dirs if not x.isdigit() and os.path.join(d, x) not in skip and d.count('/') < 3]
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)  # links (mounts -> self/mounts) lead to the process's own files
                if p in allowed or not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o222:
                    continue
            except OSError:
                continue
            tried += 1
            open_for_write(p)
    return f'none of the {tried} files with a write bit opens for writing'


for path in ['/proc/kcore', '/proc/kmsg']:
    def read_kernel(path=path):
        try:
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # never read: /proc/kmsg consumes the host's log
        except OSError as e:
            return err(e.errno)
        raise Escaped(f'{path} opens for reading')
    attempt(f'open {path}')(read_kernel)


@attempt('see /sys')
def _():
    try:
        names = os.listdir('/sys')
    except OSError as e:
        return f'/sys: {err(e.errno)}'
    raise Escaped(f'/sys lists {len(names)} entries')


# ---- devices ----

@attempt('find a host device in /dev')
def _():
    allowed = {'null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx', 'console'}
    found = []
    for d, dirs, files in os.walk('/dev'):
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            if stat.S_ISBLK(st.st_mode) or (stat.S_ISCHR(st.st_mode) and f not in allowed and not p.startswith('/dev/pts/')):
                found.append(p)
    if found:
        raise Escaped('devices: ' + ' '.join(found))
    return 'only ' + ' '.join(sorted(n for n in os.listdir('/dev')))


@attempt('mknod a block device')
def _():
    libc.mknod.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_ulong]
    r = libc.mknod(b'/tmp/escape-sda', stat.S_IFBLK | 0o600, os.makedev(8, 0))
    if r == 0:
        os.unlink('/tmp/escape-sda')
    return libc_refused('mknod', r)


# ---- privileges ----

ALLOWED_CAPS = {0: 'chown', 1: 'dac_override', 3: 'fowner', 4: 'fsetid', 5: 'kill', 6: 'setgid', 7: 'setuid', 10: 'net_bind_service'}


def status(field):
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'):
            return line.split(':', 1)[1].strip()
    return ''


for field in ['CapEff', 'CapPrm', 'CapBnd', 'CapInh', 'CapAmb']:
    def caps(field=field):
        mask = int(status(field), 16)
        extra = [i for i in range(64) if mask >> i & 1 and i not in ALLOWED_CAPS]
        if extra:
            raise Escaped(f'{field} {mask:#x} holds capabilities {extra} beyond {sorted(ALLOWED_CAPS.values())}')
        return f'{field} {mask:#x}: ' + ','.join(ALLOWED_CAPS[i] for i in range(64) if mask >> i & 1)
    attempt(f'hold capabilities beyond the root user\'s own ({field})')(caps)


@attempt('gain privileges on exec (no_new_privs)')
def _():
    if status('NoNewPrivs') != '1':
        raise Escaped(f'NoNewPrivs is {status("NoNewPrivs")}')
    return 'NoNewPrivs 1'


@attempt('run without a seccomp filter')
def _():
    if status('Seccomp') != '2':
        raise Escaped(f'Seccomp is {status("Seccomp")}')
    return 'Seccomp 2 (filtered)'


# ---- mounts and namespaces ----

libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x20000, 0x10000000, 0x40000000
SYS = {'x86_64': {'unshare': 272, 'keyctl': 250, 'add_key': 248, 'setns': 308}, 'aarch64': {'unshare': 97, 'keyctl': 219, 'add_key': 217, 'setns': 268}}[os.uname().machine]

attempt('mount a tmpfs')(lambda: libc_refused('mount tmpfs', libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None)))
attempt('mount sysfs')(lambda: libc_refused('mount sysfs', libc.mount(b'sysfs', b'/tmp', b'sysfs', 0, None)))
attempt('remount /usr read-write')(lambda: libc_refused('remount /usr', libc.mount(None, b'/usr', None, MS_REMOUNT | MS_BIND, None)))
attempt('remount /proc/sys read-write')(lambda: libc_refused('remount /proc/sys', libc.mount(None, b'/proc/sys', None, MS_REMOUNT | MS_BIND, None)))
attempt('unmount /proc/sys (to reach the writable /proc/sys beneath)')(lambda: libc_refused('umount /proc/sys', libc.umount2(b'/proc/sys', 2)))  # MNT_DETACH


@attempt('write /usr (the host\'s, bound read-only)')
def _():
    return open_for_write('/usr/bin/env')


@attempt('chroot')
def _():
    return libc_refused('chroot', libc.chroot(b'/tmp'))


@attempt('unshare a mount namespace')
def _():
    return in_child(lambda: refused('unshare(CLONE_NEWNS)', *call(SYS['unshare'], CLONE_NEWNS)))


@attempt('unshare a user namespace')
def _():
    return in_child(lambda: refused('unshare(CLONE_NEWUSER)', *call(SYS['unshare'], CLONE_NEWUSER)))


@attempt('unshare a network namespace')
def _():
    return in_child(lambda: refused('unshare(CLONE_NEWNET)', *call(SYS['unshare'], CLONE_NEWNET)))


@attempt('join another namespace (setns)')
def _():
    fd = os.open('/proc/1/ns/mnt', os.O_RDONLY)
    try:
        return in_child(lambda: refused('setns', *call(SYS['setns'], fd, 0)))
    finally:
        os.close(fd)


@attempt('reach the host root\'s keyring')
def _():
    r, e = call(SYS['keyctl'], 0, -4, 0)  # KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, don't create
    if r >= 0:
        raise Escaped(f'the user keyring {r} is reachable (root\'s, shared with the host)')
    return err(e)


# ---- processes, files and network of the host ----

@attempt('see host processes')
def _():
    mine = os.readlink('/proc/self/ns/pid')
    pids = [p for p in os.listdir('/proc') if p.isdigit()]
    for p in pids:
        try:
            if os.readlink(f'/proc/{p}/ns/pid') != mine:
                raise Escaped(f'process {p} is in another PID namespace')
        except FileNotFoundError:
            pass
    return f'{len(pids)} processes, all in the instance\'s own PID namespace'


@attempt('see host paths (data dir, network namespaces, host /run)')
def _():
    paths = HOST_PATHS + ['/var/run/netns', '/run/netns']
    seen = [p for p in paths if os.path.exists(p)]
    if seen:
        raise Escaped('visible: ' + ' '.join(seen))
    return 'none exists here: ' + ' '.join(paths)


@attempt('connect to the host')
def _():
    # The host listens on HOST_PORT of its loopback. Its other addresses must not even refuse
    # (a refusal is the host's own network stack answering); 127.0.0.1 is the instance's own. With
    # egress they lead to the internet namespace, which refuses: only a connection is an escape.
    errors = []
    for a in HOST_ADDRESSES:
        try:
            socket.create_connection((a, HOST_PORT), timeout=2).close()
            raise Escaped(f'connected to {a}:{HOST_PORT}')
        except socket.timeout:
            errors.append(f'{a}: timed out')
        except OSError as e:
            if e.errno == errno.ECONNREFUSED and a != '127.0.0.1' and not EGRESS:
                raise Escaped(f'{a}:{HOST_PORT} answered (refused): the host is reachable')
            errors.append(f'{a}: {err(e.errno)}' + (' (the internet namespace)' if EGRESS and a != '127.0.0.1' else ''))
    return '; '.join(errors)


@attempt('reach the host or the VPC\'s router through the Amazon resolver\'s addresses')
def _():
    # The resolver (the VPC's base + 2 and 169.254.169.253) serves DNS on port 53 only; the host's
    # port and any other must not connect through it (a refusal is the router's own stack).
    nameserver = next((l.split()[1] for l in open('/etc/resolv.conf') if l.startswith('nameserver')), None)
    if not nameserver:
        raise Escaped('no nameserver in /etc/resolv.conf: the resolver this attempt tests is missing')
    errors = []
    for a in (nameserver, '169.254.169.253'):
        for port in (HOST_PORT, 22, 80):
            try:
                socket.create_connection((a, port), timeout=2).close()
                raise Escaped(f'connected to {a}:{port}')
            except socket.timeout:
                errors.append(f'{a}:{port}: timed out')
            except OSError as e:
                errors.append(f'{a}:{port}: {err(e.errno)}')
    return '; '.join(errors)


# ---- resource limits (bounded) ----

@attempt(f'fork past the process limit (bounded at {FORK_BOUND})')
def _():
    children = []
    failure = None
    try:
        for _ in range(FORK_BOUND):
            try:
                pid = os.fork()
            except OSError as e:
                failure = e
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.kill(pid, 9)
        for pid in children:
            os.waitpid(pid, 0)
    if failure is None:
        raise Escaped(f'all {FORK_BOUND} forks succeeded')
    return f'{len(children)} forks succeeded, then {err(failure.errno)}'


@attempt(f'write past the size of the volume at {DISK_PATH} (bounded at {DISK_BOUND_MIB} MiB)')
def _():
    # The file stays, so that the test can measure what the volume takes on the host.
    chunk = b'\xa5' * (1 << 20)
    written = 0
    fd = os.open(os.path.join(DISK_PATH, 'fill'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while written < DISK_BOUND_MIB:
            os.write(fd, chunk)
            written += 1
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        return f'{err(e.errno)} after {written} MiB'
    finally:
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    raise Escaped(f'wrote {written} MiB')


print(f'DONE {len(results)} attempts, {results.count(False)} not confined', flush=True)
