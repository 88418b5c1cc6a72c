/**
 * The console output of a simulated instance: a boot log as Amazon Linux writes it, with
 * cloud-init running the user data. This is the one place the text is made; the sandbox driver
 * will replace it with the real output of the instance's process.
 */
import type { InstanceRecord } from './state.ts';

const stamp = (offsetMs: number) => `[${(offsetMs / 1000).toFixed(6).padStart(12)}]`;

export function bootLog(inst: InstanceRecord, bootedAt: number): string {
  const ip = inst.PrivateIpAddress ?? '';
  const host = inst.PrivateDnsName || `ip-${ip.replace(/\./g, '-')}`;
  const userData = inst.userData ? Buffer.from(inst.userData, 'base64').toString('utf8') : '';
  const script = userData.startsWith('#!');
  const date = new Date(bootedAt).toUTCString();
  const lines = [
    `${stamp(0)} Linux version 4.14.355-277.647.amzn2.x86_64 (mockbuild@ip-10-0-1-1) (gcc version 7.3.1) #1 SMP`,
    `${stamp(0)} Command line: BOOT_IMAGE=/boot/vmlinuz root=LABEL=/ console=tty0 console=ttyS0,115200n8`,
    `${stamp(12)} Hypervisor detected: Xen HVM`,
    `${stamp(830)} EXT4-fs (xvda1): mounted filesystem with ordered data mode`,
    `Cloud-init v. 19.3-46.amzn2 running 'init-local' at ${date}. Up 2.11 seconds.`,
    `Cloud-init v. 19.3-46.amzn2 running 'init' at ${date}. Up 3.02 seconds.`,
    `ci-info: ++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++`,
    `ci-info: | Device |  Up  |   Address   |     Mask      | Scope |     Hw-Address    |`,
    `ci-info: |  eth0  | True | ${ip.padEnd(11)} | 255.255.255.0 | global | ${inst.NetworkInterfaces[0]?.MacAddress ?? ''} |`,
    `Cloud-init v. 19.3-46.amzn2 running 'modules:config' at ${date}. Up 4.20 seconds.`,
    `Cloud-init v. 19.3-46.amzn2 running 'modules:final' at ${date}. Up 5.13 seconds.`,
  ];
  if (userData) {
    lines.push(script ? `+ running user data script (${userData.split('\n')[0]})` : '+ processing user data (cloud-config)');
    for (const l of userData.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) lines.push(`+ ${l}`);
  }
  lines.push(
    `Cloud-init v. 19.3-46.amzn2 finished at ${date}. Datasource DataSourceEc2.  Up 6.40 seconds`,
    '',
    `Amazon Linux 2`,
    `Kernel 4.14.355-277.647.amzn2.x86_64 on an x86_64`,
    '',
    `${host} login: `,
  );
  return lines.join('\n') + '\n';
}
