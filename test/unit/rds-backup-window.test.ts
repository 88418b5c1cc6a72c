/**
 * When RDS's daily automated backup is due: in the PreferredBackupWindow (UTC), once per opening,
 * including a window that crosses midnight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupDue } from '../../src/services/rds/instance.loop.ts';

const at = (t: string) => Date.parse(`2026-03-10T${t}:00Z`);
const dayBefore = (ms: number) => ms - 86_400_000;

test('a backup is due once the window opens, until it closes, once per opening', () => {
  const w = { PreferredBackupWindow: '03:00-03:30' };
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('03:00')) }, at('02:59')), false, 'not yet open');
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('03:00')) }, at('03:00')), true);
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('03:00')) }, at('03:29')), true, 'later in the window, if missed at the opening');
  assert.equal(backupDue({ ...w, lastBackupAt: at('03:00') }, at('03:10')), false, 'one per opening');
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('03:00')) }, at('03:30')), false, 'closed');
  assert.equal(backupDue(w, at('03:05')), true, 'never backed up');
});

test('a window across midnight is one opening', () => {
  const w = { PreferredBackupWindow: '23:50-00:20' };
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('12:00')) }, at('00:10')), true, 'opened the evening before');
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('23:50')) }, at('00:10')), false, 'already backed up since it opened');
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('23:50')) }, at('23:50')), true, 'the next evening');
  assert.equal(backupDue({ ...w, lastBackupAt: dayBefore(at('12:00')) }, at('00:20')), false, 'closed');
});
