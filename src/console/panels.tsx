/** The overview beside the world: alarms, Auto Scaling groups, stacks, load balancers and DB instances, as tables. */
import type { ComponentChildren } from 'preact';
import { Badge } from './badge.tsx';
import type { Overview } from './model.ts';
import { activityStatus, alarmStatus, dbStatus, stackStatus, targetStatus } from './status.ts';

const time = (iso?: string) => (iso ? iso.slice(11, 19) : '');
const where = (x: { account: string; region: string }) => `${x.region} · ${x.account}`;

function Panel({ id, title, count, children }: { id: string; title: string; count: number; children: ComponentChildren }) {
  return (
    <section class="panel" aria-labelledby={`${id}-h`} id={id}>
      <h2 id={`${id}-h`}>
        {title} <span class="count">({count})</span>
      </h2>
      {count ? children : <p class="empty">none</p>}
    </section>
  );
}

export function Alarms({ alarms: all }: Pick<Overview, 'alarms'>) {
  // Alarms in ALARM first: what the user came to see.
  const rank = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as const;
  const alarms = [...all].sort((a, b) => rank[a.state] - rank[b.state] || a.name.localeCompare(b.name));
  return (
    <Panel id="alarms" title="Alarms" count={alarms.length}>
      <table>
        <thead>
          <tr>
            <th scope="col">Alarm</th>
            <th scope="col">State</th>
            <th scope="col">Metric</th>
            <th scope="col">Since</th>
            <th scope="col">Where</th>
          </tr>
        </thead>
        <tbody>
          {alarms.map((a) => (
            <tr key={`${a.account}/${a.region}/${a.name}`} data-alarm={a.name} data-state={a.state}>
              <th scope="row">{a.name}</th>
              <td title={a.reason}>
                <Badge status={alarmStatus(a.state)} />
              </td>
              <td>
                {a.metric}
                {a.dimensions && <span class="dim"> {a.dimensions}</span>}
              </td>
              <td>{time(a.since)}</td>
              <td>{where(a)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

export function Groups({ groups }: Pick<Overview, 'groups'>) {
  return (
    <Panel id="groups" title="Auto Scaling groups" count={groups.length}>
      <table>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">In service / desired</th>
            <th scope="col">Min–max</th>
            <th scope="col">Zones</th>
            <th scope="col">Latest activities</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => {
            const short = g.inService < g.desired;
            return (
              <tr key={`${g.account}/${g.region}/${g.name}`} data-group={g.name}>
                <th scope="row">{g.name}</th>
                <td>
                  <Badge status={short ? { tone: 'warn', icon: '!', text: `${g.inService} / ${g.desired}` } : { tone: 'ok', icon: '✓', text: `${g.inService} / ${g.desired}` }} />
                </td>
                <td>
                  {g.min}–{g.max}
                </td>
                <td>{g.zones.join(' ')}</td>
                <td>
                  <ul class="activities">
                    {g.activities.map((a, i) => (
                      <li key={i}>
                        {time(a.start)} <Badge status={activityStatus(a.status)} /> {a.description}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Panel>
  );
}

export function Stacks({ stacks }: Pick<Overview, 'stacks'>) {
  return (
    <Panel id="stacks" title="Stacks" count={stacks.length}>
      <table>
        <thead>
          <tr>
            <th scope="col">Stack</th>
            <th scope="col">Status</th>
            <th scope="col">Updated</th>
            <th scope="col">Where</th>
          </tr>
        </thead>
        <tbody>
          {stacks.map((s) => (
            <tr key={`${s.account}/${s.region}/${s.name}`} data-stack={s.name}>
              <th scope="row">{s.name}</th>
              <td title={s.reason}>
                <Badge status={stackStatus(s.status)} />
              </td>
              <td>{time(s.updated)}</td>
              <td>{where(s)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

export function LoadBalancers({ loadBalancers }: Pick<Overview, 'loadBalancers'>) {
  return (
    <Panel id="load-balancers" title="Load balancers" count={loadBalancers.length}>
      <table>
        <thead>
          <tr>
            <th scope="col">Load balancer</th>
            <th scope="col">Kind</th>
            <th scope="col">Zones</th>
            <th scope="col">Targets</th>
          </tr>
        </thead>
        <tbody>
          {loadBalancers.map((lb) => (
            <tr key={`${lb.account}/${lb.region}/${lb.kind}/${lb.name}`} data-lb={lb.name}>
              <th scope="row">{lb.name}</th>
              <td>
                {lb.kind}, {lb.scheme}
              </td>
              <td>{lb.zones.join(' ')}</td>
              <td>
                {lb.targetGroups.map((tg) => (
                  <div key={tg.name} class="tg">
                    <span class="dim">{tg.name}:</span>{' '}
                    {tg.targets.length
                      ? tg.targets.map((t) => (
                          <span key={`${t.id}:${t.port}`} class="target-health" title={t.reason}>
                            {t.id}
                            {t.zone ? ` (${t.zone})` : ''} <Badge status={targetStatus(t.state)} />
                          </span>
                        ))
                      : 'no targets'}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

export function DbInstances({ dbInstances }: Pick<Overview, 'dbInstances'>) {
  return (
    <Panel id="db-instances" title="DB instances" count={dbInstances.length}>
      <table>
        <thead>
          <tr>
            <th scope="col">DB instance</th>
            <th scope="col">Status</th>
            <th scope="col">Engine</th>
            <th scope="col">Primary zone</th>
            <th scope="col">Standby zone</th>
          </tr>
        </thead>
        <tbody>
          {dbInstances.map((d) => (
            <tr key={`${d.account}/${d.region}/${d.id}`} data-db={d.id}>
              <th scope="row">{d.id}</th>
              <td>
                <Badge status={dbStatus(d.status)} />
              </td>
              <td>
                {d.engine} {d.instanceClass}
              </td>
              <td>{d.zone ?? ''}</td>
              <td>{d.multiAZ ? (d.secondaryZone ?? '') : 'single-AZ'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}
