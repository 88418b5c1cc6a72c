/**
 * The seccomp filter that bubblewrap installs in every sandbox (`--seccomp FD`): a classic BPF
 * program, built here because the set is small and fixed (no libseccomp needed).
 *
 * It refuses, with EPERM, what an instance could otherwise reach without any capability:
 *  - the kernel keyrings (keyctl, add_key, request_key): keyrings are per user, and the sandbox has
 *    no user namespace of its own, so its root would share the host root's user keyring;
 *  - new user namespaces (unshare or clone with CLONE_NEWUSER): they would hand the instance every
 *    capability inside a namespace of its own, and with them much more of the kernel to probe.
 *    clone3 passes its flags in memory that a filter cannot read, so it gets ENOSYS, on which
 *    the C library falls back to clone, whose flags are checked.
 * Everything else is governed by the capabilities that the sandbox keeps (sandbox.process.ts).
 * System calls of another ABI (32-bit, x32) are refused: their numbers differ, and the host's
 * /usr that instances run has no 32-bit programs to need them.
 */

const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;

/** System call numbers per architecture (from the kernel's syscall tables). */
const NR: Record<keyof typeof AUDIT_ARCH, { keyctl: number; add_key: number; request_key: number; unshare: number; clone: number; clone3: number }> = {
  x64: { add_key: 248, request_key: 249, keyctl: 250, unshare: 272, clone: 56, clone3: 435 },
  arm64: { add_key: 217, request_key: 218, keyctl: 219, unshare: 97, clone: 220, clone3: 435 },
};

const CLONE_NEWUSER = 0x10000000;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const ENOSYS = 38;

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;

// Offsets in struct seccomp_data: nr, arch, then args[] from 16 (low 32 bits first, little-endian).
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0 = 16;

type Insn = [code: number, jt: number, jf: number, k: number];

/** The filter for the machine's architecture, or undefined where faultline has no table for it. */
export function seccompFilter(arch: string = process.arch): Buffer | undefined {
  if (!(arch in AUDIT_ARCH)) return undefined;
  const a = arch as keyof typeof AUDIT_ARCH;
  const nr = NR[a];
  const deny = (errno: number): Insn => [RET_K, 0, 0, RET_ERRNO | errno];
  // Jump offsets count instructions after the current one; labels keep them readable.
  const prog: (Insn | { jumpTo: string; code: number; k: number } | { label: string })[] = [
    [LD_W_ABS, 0, 0, OFF_ARCH],
    { code: JEQ_K, k: AUDIT_ARCH[a], jumpTo: 'native' },
    deny(EPERM),
    { label: 'native' },
    [LD_W_ABS, 0, 0, OFF_NR],
    ...(a === 'x64' ? [{ code: JGE_K, k: X32_SYSCALL_BIT, jumpTo: 'eperm' }] : []),
    { code: JEQ_K, k: nr.keyctl, jumpTo: 'eperm' },
    { code: JEQ_K, k: nr.add_key, jumpTo: 'eperm' },
    { code: JEQ_K, k: nr.request_key, jumpTo: 'eperm' },
    { code: JEQ_K, k: nr.clone3, jumpTo: 'enosys' },
    { code: JEQ_K, k: nr.unshare, jumpTo: 'flags' },
    { code: JEQ_K, k: nr.clone, jumpTo: 'flags' },
    [RET_K, 0, 0, RET_ALLOW],
    { label: 'flags' },
    [LD_W_ABS, 0, 0, OFF_ARG0],
    { code: JSET_K, k: CLONE_NEWUSER, jumpTo: 'eperm' },
    [RET_K, 0, 0, RET_ALLOW],
    { label: 'eperm' },
    deny(EPERM),
    { label: 'enosys' },
    deny(ENOSYS),
  ];
  const labels = new Map<string, number>();
  let pc = 0;
  for (const p of prog) {
    if ('label' in p) labels.set(p.label, pc);
    else pc++;
  }
  const out = Buffer.alloc(pc * 8);
  pc = 0;
  for (const p of prog) {
    if ('label' in p) continue;
    // A conditional jump goes to its label when true, and falls through to the next instruction when false.
    const [code, jt, jf, k] = Array.isArray(p) ? p : [p.code, labels.get(p.jumpTo)! - pc - 1, 0, p.k];
    out.writeUInt16LE(code, pc * 8);
    out.writeUInt8(jt, pc * 8 + 2);
    out.writeUInt8(jf, pc * 8 + 3);
    out.writeUInt32LE(k >>> 0, pc * 8 + 4);
    pc++;
  }
  return out;
}
