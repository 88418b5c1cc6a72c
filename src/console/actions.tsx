/**
 * What can be done to the selected zone, host or instance: fail it (a zone or host loses power or
 * network; an instance's software fails) or heal the faults on it, through POST /_faultline/faults
 * and /_faultline/faults/ID/heal. Focus moves here when something is selected, and Escape or Close
 * returns it to what was selected, so the whole flow works from the keyboard.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { postJson } from './api.ts';
import type { Fault } from './model.ts';
import { faultsOn, type Target } from './world.tsx';

const NOUN: Record<Target['kind'], string> = { az: 'zone', host: 'host', instance: 'instance' };

interface Props {
  target: Target;
  faults: Fault[];
  onDone(): void;
  onClose(): void;
}

export function Actions({ target, faults, onDone, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    setMessage(undefined);
    first.current?.focus();
  }, [target.kind, target.id]);
  const on = faultsOn(faults, target);

  const act = async (what: string, call: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await call();
      setMessage(what);
      onDone();
    } catch (e) {
      setMessage(`failed: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const fail = (effect?: 'power' | 'network') =>
    act(`${NOUN[target.kind]} ${target.id}: ${effect ? `${effect} failed` : 'failed'}`, () => postJson('/_faultline/faults', { kind: target.kind, target: target.id, region: target.region, ...(effect ? { effect } : {}) }));
  const heal = () => act(`${NOUN[target.kind]} ${target.id}: healed`, () => Promise.all(on.map((f) => postJson(`/_faultline/faults/${f.faultId}/heal`))));

  return (
    <section class="actions" aria-label={`actions for ${NOUN[target.kind]} ${target.id}`} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <h3>
        {NOUN[target.kind]} {target.id}
      </h3>
      <p class="faults">{on.length ? `faults: ${on.map((f) => `${f.faultId}${f.effect ? ` (${f.effect})` : ''}`).join(', ')}` : 'no fault on it'}</p>
      <div class="buttons">
        {target.kind === 'instance' ? (
          <button ref={first} disabled={busy} onClick={() => void fail()}>
            Fail instance
          </button>
        ) : (
          <>
            <button ref={first} disabled={busy} onClick={() => void fail('power')}>
              Fail: power off
            </button>
            <button disabled={busy} onClick={() => void fail('network')}>
              Fail: network down
            </button>
          </>
        )}
        <button disabled={busy || !on.length} onClick={() => void heal()}>
          Heal
        </button>
        <button onClick={onClose}>Close</button>
      </div>
      <p role="status" class="message">
        {message}
      </p>
    </section>
  );
}
