import { Group, Stack, Text, TextInput } from '@mantine/core';
import { memo, useDeferredValue, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useApiQuery } from '../../api/queries';
import type { CompatibilityProblem } from '../../api/more-types';
import type { Page, Project, Status, StatusCell } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { fromNow } from '../../components/time';
import { CompatibilityWarning, useCompatibilityProblems } from './CompatibilityWarning';
import { environmentGate } from './environment-gate';
import { useLiveStatus } from './live-status';

const enc = encodeURIComponent;

const Cell = memo(function Cell({ cell, project, color, problems }: { cell: StatusCell | undefined; project: string; color: string; problems?: CompatibilityProblem[] | undefined }) {
  if (!cell || (!cell.current && !cell.inFlight)) {
    return (
      <td className="cell" style={{ ['--env-color' as string]: color }}>
        <span className="muted">not deployed</span>
      </td>
    );
  }
  const targets = cell.targets ?? [];
  const drift = cell.drift ?? [];
  const versions = new Set(targets.map((t) => t.version));
  return (
    <td className="cell" style={{ ['--env-color' as string]: color }} data-testid={`cell-${project}-${cell.environment}`}>
      {cell.current ? (
        <Link to={`/projects/${enc(project)}/releases/${enc(cell.current.version)}`} title={`deployed ${fromNow(cell.current.at)} by ${cell.current.by}`}>
          {cell.current.version}
        </Link>
      ) : (
        <span className="muted">nothing yet</span>
      )}
      {versions.size > 1 && (
        <div className="muted" data-testid="per-target">
          {targets.map((t) => `${t.key}: ${t.version}`).join(' · ')}
        </div>
      )}
      {cell.inFlight && (
        <div className="flight">
          <Link to={`/deployments/${enc(cell.inFlight.deploymentId)}`}>
            {cell.inFlight.version} {cell.inFlight.status.replace(/_/g, ' ')}
          </Link>
          {cell.inFlight.canary && (
            <span className="muted" data-testid="canary">
              {' '}
              canary at {cell.inFlight.canary.weight} % beside {cell.inFlight.canary.stableVersion}
              {cell.inFlight.canary.status === 'paused' ? ' (paused)' : ''} ·{' '}
              <Link to={`/rollouts/${enc(cell.inFlight.canary.rolloutId)}`}>rollout</Link>
            </span>
          )}
        </div>
      )}
      {drift.length > 0 && (
        <div className="warn" title={drift.map((d) => `${d.instance} runs ${d.version}`).join('\n')}>
          Drift: {drift.length} instance{drift.length > 1 ? 's run' : ' runs'} {[...new Set(drift.map((d) => d.version))].join(', ')}
        </div>
      )}
      <CompatibilityWarning problems={problems} />
    </td>
  );
});

export function HomePage() {
  const status = useLiveStatus();
  const compatibility = useCompatibilityProblems();
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const [filter, setFilter] = useState('');
  const deferredFilter = useDeferredValue(filter);

  const envs = useMemo(() => [...(status.data?.environmentStates ?? [])].sort((a, b) => a.rank - b.rank), [status.data]);
  const rows = useMemo(() => buildRows(status.data, projects.data?.items ?? []), [status.data, projects.data]);
  const visible = deferredFilter ? rows.filter((r) => r.project.toLowerCase().includes(deferredFilter.toLowerCase())) : rows;

  return (
    <Stack>
      <PageHeader
        title="What runs where"
        subtitle={status.data ? `Live · updated ${new Date(status.data.generatedAt).toLocaleTimeString()}` : 'Every project in every environment'}
        actions={<TextInput aria-label="Filter projects" placeholder="Filter projects" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} size="xs" />}
      />
      <ErrorAlert error={status.error ?? projects.error} />
      {status.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Text>No project yet. Create one under Settings → Projects.</Text>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <table className="matrix" data-testid="matrix">
            <caption style={{ textAlign: 'left', captionSide: 'top', paddingBottom: 4 }} className="muted">
              {visible.length} project{visible.length === 1 ? '' : 's'} × {envs.length} environments, ordered by rank
            </caption>
            <thead>
              <tr>
                <th scope="col">Project</th>
                {envs.map((env) => {
                  const gate = environmentGate(env);
                  return (
                    <th scope="col" key={env.key} style={{ ['--env-color' as string]: env.color }} data-testid={`env-${env.key}`}>
                      <Group gap={4} wrap="nowrap">
                        <span>{env.name || env.key}</span>
                        {env.protected && <span className="muted">(protected)</span>}
                      </Group>
                      {gate && <div className={gate.kind === 'open' ? 'muted' : 'warn'}>{gate.text}</div>}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {visible.map((row) => (
                <tr key={row.project}>
                  <th scope="row">
                    <Link to={`/projects/${enc(row.project)}`}>{row.project}</Link>
                  </th>
                  {envs.map((env) => (
                    <Cell key={env.key} cell={row.cells.get(env.key)} project={row.project} color={env.color} problems={compatibility.get(`${row.project}/${env.key}`)} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Stack>
  );
}

function buildRows(status: Status | undefined, projects: Project[]) {
  const byProject = new Map<string, Map<string, StatusCell>>();
  for (const p of projects) byProject.set(p.key, new Map());
  for (const item of status?.items ?? []) {
    let cells = byProject.get(item.project);
    if (!cells) byProject.set(item.project, (cells = new Map()));
    cells.set(item.environment, item);
  }
  return [...byProject.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([project, cells]) => ({ project, cells }));
}

export default HomePage;
