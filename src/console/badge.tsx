import type { Status } from './status.ts';

/** A state as icon, words and colour together; the icon is decoration, the words carry it. */
export function Badge({ status }: { status: Status }) {
  return (
    <span class={`badge tone-${status.tone}`}>
      <span aria-hidden="true">{status.icon}</span> {status.text}
    </span>
  );
}
