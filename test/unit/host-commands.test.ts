/**
 * Host commands (runtime/exec.ts `run`, started by the spawn agent) answer by their deadline: a
 * command that outlives it is killed with every process it started, and the call fails saying
 * that it timed out, even when a child the command left holds its output open. Before, the agent
 * killed the command alone and waited for its output to close, which such a child could put off
 * for as long as it ran: a driver task, faultline's close or a test's poll waited with it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run, RuntimeError } from '../../src/runtime/exec.ts';

/** Whether a process still runs (one killed and waiting to be reaped does not). */
function runs(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('host commands', () => {
  it('fail at their deadline, with the processes they started killed, even one holding their output', async () => {
    // The shell's background child keeps the shell's stdout and stderr open; it says its pid first.
    const failed = await run('sh', ['-c', 'sleep 20 & echo $! >&2; sleep 20'], { timeoutMs: 500, allowFail: true }).then(
      (r) => assert.fail(`answered ${JSON.stringify(r)} instead of failing at the deadline`),
      (e: unknown) => e,
    );
    assert.ok(failed instanceof RuntimeError, String(failed));
    assert.match(failed.message, /^sh -c sleep 20 .*: timed out after 0\.5 s$/);
    const child = Number(failed.stderr.trim());
    assert.ok(child > 0, `the background child's pid in the stderr so far: ${failed.stderr}`);
    for (const deadline = Date.now() + 5_000; runs(child) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    assert.equal(runs(child), false, `the background child ${child} was killed with the command`);
  });
});
