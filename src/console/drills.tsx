/**
 * Drills from the console: a drill file pasted or uploaded, with the templates its `stack:` steps
 * name (uploaded files, matched to those names by file name), started with POST /_faultline/drills.
 * The chosen drill shows its timeline as it runs and, once it ends, its RTO and RPO against the
 * targets, and offers its HTML and JSON reports for download. A running drill is read again each
 * second: it is one record, and its end logs no event of its own.
 */
import { useEffect, useState } from 'preact/hooks';
import { parse as parseYaml } from 'yaml';
import { getBlob, getJson, postJson } from './api.ts';
import { Badge } from './badge.tsx';
import type { Drill, DrillSummary, Measure } from './model.ts';
import { drillStatus } from './status.ts';

/** The templates a drill file's `stack:` setup steps name; none while the text is not YAML yet. */
export function namedTemplates(source: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(source);
  } catch {
    return [];
  }
  const setup = (doc as { setup?: unknown } | null)?.setup;
  if (!Array.isArray(setup)) return [];
  const names = setup.map((step) => (step as { stack?: { template?: unknown } } | null)?.stack?.template).filter((t): t is string => typeof t === 'string');
  return [...new Set(names)];
}

const baseName = (path: string) => path.split('/').pop() ?? path;

const seconds = (m: Measure) => (m.seconds === undefined ? 'not measured' : `${m.seconds} s`);

function download(blob: Blob, name: string) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

export function Drills() {
  const [source, setSource] = useState('');
  const [file, setFile] = useState('drill.yaml');
  const [uploads, setUploads] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [list, setList] = useState<DrillSummary[]>([]);
  const [chosen, setChosen] = useState<string>();
  const [drill, setDrill] = useState<Drill>();

  const readList = () => getJson<{ drills: DrillSummary[] }>('/_faultline/drills').then((r) => setList(r.drills));
  useEffect(() => void readList().catch(() => undefined), []);
  useEffect(() => {
    if (!chosen) return;
    let stop = false;
    let timer = 0;
    const read = async () => {
      try {
        const d = await getJson<Drill>(`/_faultline/drills/${chosen}`);
        if (stop) return;
        setDrill(d);
        if (d.status === 'running') timer = window.setTimeout(() => void read(), 1000);
        else void readList();
      } catch (e) {
        setError((e as Error).message);
      }
    };
    void read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [chosen]);

  const names = namedTemplates(source);
  const templates = Object.fromEntries(names.filter((n) => uploads[baseName(n)] !== undefined).map((n) => [n, uploads[baseName(n)]]));

  const start = async () => {
    setError(undefined);
    try {
      const r = await postJson<{ drillId: string }>('/_faultline/drills', { source, file, templates });
      setDrill(undefined);
      setChosen(r.drillId);
      void readList();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section class="panel drills" aria-labelledby="drills-h" id="drills">
      <h2 id="drills-h">Drills</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label class="block">
          Drill file{' '}
          <input
            type="file"
            accept=".yaml,.yml,.json"
            onChange={async (e) => {
              const f = e.currentTarget.files?.[0];
              if (!f) return;
              setFile(f.name);
              setSource(await f.text());
            }}
          />
        </label>
        <label class="block">
          or its text
          <textarea rows={8} value={source} spellcheck={false} onInput={(e) => setSource(e.currentTarget.value)} />
        </label>
        {names.length > 0 && (
          <div class="block">
            <label>
              Templates it names{' '}
              <input
                type="file"
                multiple
                onChange={async (e) => {
                  const got: Record<string, string> = {};
                  for (const f of e.currentTarget.files ?? []) got[f.name] = await f.text();
                  setUploads(got);
                }}
              />
            </label>
            <ul class="named-templates">
              {names.map((n) => (
                <li key={n}>
                  {n}: {templates[n] !== undefined ? '✓ given' : '– not given yet'}
                </li>
              ))}
            </ul>
          </div>
        )}
        <button type="submit" disabled={!source.trim()}>
          Start drill
        </button>
        {error && (
          <pre role="alert" class="message">
            {error}
          </pre>
        )}
      </form>
      {list.length > 0 && (
        <ul class="drill-list">
          {list.map((d) => (
            <li key={d.drillId}>
              <button aria-pressed={chosen === d.drillId} onClick={() => setChosen(d.drillId)}>
                {d.name} ({d.drillId})
              </button>{' '}
              <Badge status={drillStatus(d.status)} />
            </li>
          ))}
        </ul>
      )}
      {drill && <DrillView drill={drill} />}
    </section>
  );
}

function DrillView({ drill }: { drill: Drill }) {
  const r = drill.result;
  const save = async (format: 'html' | 'json') => download(await getBlob(`/_faultline/drills/${drill.drillId}/report?format=${format}`), `${drill.drillId}.${format}`);
  return (
    <article class="drill" aria-labelledby="drill-h" data-drill={drill.drillId} data-status={drill.status}>
      <h3 id="drill-h">
        {drill.name} <Badge status={drillStatus(drill.status)} />
      </h3>
      {drill.error && <pre class="message">{drill.error}</pre>}
      {r && (
        <>
          <dl class="figures">
            <dt>RTO</dt>
            <dd data-rto>
              {seconds(r.rto)}
              {r.target ? ` (target ${r.target.rtoInSecs} s)` : ' (no target)'} <span class="dim">{r.rto.method}</span>
            </dd>
            <dt>RPO</dt>
            <dd data-rpo>
              {seconds(r.rpo)}
              {r.target ? ` (target ${r.target.rpoInSecs} s)` : ' (no target)'} <span class="dim">{r.rpo.method}</span>
            </dd>
            <dt>Disruption</dt>
            <dd>
              {r.disruption}, {r.survived ? 'survived' : 'did not recover'}, {r.compliance}
            </dd>
            <dt>Probes</dt>
            <dd>{r.probes.map((p) => `${p.name}: ${p.samples.filter((s) => s.ok).length}/${p.samples.length} passed`).join('; ')}</dd>
          </dl>
          <p>
            <button onClick={() => void save('html')}>Download HTML report</button> <button onClick={() => void save('json')}>Download JSON report</button>
          </p>
        </>
      )}
      <table class="drill-timeline">
        <caption>Drill timeline</caption>
        <thead>
          <tr>
            <th scope="col">Cloud time</th>
            <th scope="col">Phase</th>
            <th scope="col">Source</th>
            <th scope="col">What happened</th>
          </tr>
        </thead>
        <tbody>
          {drill.timeline.map((e, i) => (
            <tr key={i}>
              <td>{e.at.cloud.slice(11, 19)}</td>
              <td>{e.phase}</td>
              <td>{e.source}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
