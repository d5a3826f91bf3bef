import { Button, Card, Code, CopyButton, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client';
import type { Calendar, CalendarTokenCreated } from '../../api/more-types';
import { useApiMutation, useApiQuery } from '../../api/queries';
import type { Page, Project } from '../../api/types';
import { SolidBadge } from '../../components/badges';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { byWeek, KIND_COLORS, KIND_LABELS, weekStart } from './calendar';

const DAY = 86_400_000;
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

function when(start: string, end: string): string {
  const s = new Date(start);
  const e = new Date(end);
  const sameDay = s.toDateString() === e.toDateString();
  if (e.getTime() - s.getTime() >= DAY && s.getHours() === 0 && s.getMinutes() === 0) return `${dayFormat.format(s)} – ${dayFormat.format(new Date(e.getTime() - 1))}`;
  if (s.getTime() === e.getTime()) return `${dayFormat.format(s)} ${timeFormat.format(s)}`;
  return sameDay ? `${dayFormat.format(s)} ${timeFormat.format(s)}–${timeFormat.format(e)}` : `${dayFormat.format(s)} ${timeFormat.format(s)} – ${dayFormat.format(e)} ${timeFormat.format(e)}`;
}

/** A read-only calendar token, shown once, as the URL a calendar app subscribes to. */
function Subscribe({ project }: { project: string | null }) {
  const [created, setCreated] = useState<CalendarTokenCreated | null>(null);
  const create = useApiMutation(() => api.post<CalendarTokenCreated>('/api/v1/calendar/tokens', { name: `web calendar ${new Date().toISOString().slice(0, 10)}` }), { onSuccess: setCreated });
  const url = created ? `${window.location.origin}${created.url}${project ? `&project=${encodeURIComponent(project)}` : ''}` : null;
  return (
    <Card withBorder data-testid="ics-subscribe">
      <Title order={2} fz="h5" mb={4}>
        Subscribe in your calendar app
      </Title>
      <Text size="sm">
        The iCalendar feed <Code>/api/v1/calendar.ics</Code> takes a read-only calendar token in its URL (calendar apps cannot send headers). The token is shown once: keep the link.
      </Text>
      {url ? (
        <Card withBorder mt="sm" p="sm" bg="green.0">
          <Text size="sm" fw={600} mb={4}>
            Your subscription link (shown once)
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Code style={{ wordBreak: 'break-all' }} data-testid="ics-url">
              {url}
            </Code>
            <CopyButton value={url}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Card>
      ) : (
        <Button mt="sm" size="xs" onClick={() => create.mutate(undefined)} loading={create.isPending}>
          Create a subscription link (.ics)
        </Button>
      )}
      <ErrorAlert error={create.error} />
    </Card>
  );
}

export function CalendarPage() {
  const [params, setParams] = useSearchParams();
  const project = params.get('project');
  const weeks = Number(params.get('weeks') ?? '8') || 8;
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const range = useMemo(() => {
    const from = weekStart(new Date());
    return { from, to: new Date(from.getTime() + weeks * 7 * DAY) };
  }, [weeks]);
  const calendar = useApiQuery<Calendar>('/api/v1/calendar', { from: range.from.toISOString(), to: range.to.toISOString(), project });
  const grouped = useMemo(() => byWeek(calendar.data?.events ?? [], range.from, range.to), [calendar.data, range]);
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const now = Date.now();
  return (
    <Stack>
      <PageHeader
        title="Release calendar"
        subtitle="Release trains, majors, maintenance windows, freezes, deploy windows and releases cut"
        actions={
          <>
            <Select aria-label="Project" placeholder="All projects" clearable searchable size="xs" w={180} data={(projects.data?.items ?? []).map((p) => ({ value: p.key, label: p.name || p.key }))} value={project} onChange={(v) => set('project', v)} />
            <Select
              aria-label="Weeks shown"
              size="xs"
              w={140}
              allowDeselect={false}
              data={[
                { value: '4', label: 'Next 4 weeks' },
                { value: '8', label: 'Next 8 weeks' },
                { value: '13', label: 'Next 13 weeks' },
                { value: '26', label: 'Next 26 weeks' },
              ]}
              value={String(weeks)}
              onChange={(v) => set('weeks', v === '8' ? null : v)}
            />
          </>
        }
      />
      <Subscribe project={project} />
      <ErrorAlert error={calendar.error} />
      {calendar.isPending ? (
        <Loading />
      ) : (
        <Stack gap="xs" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }} data-testid="calendar">
          {grouped.map(({ week, events }) => (
            <li key={week.toISOString()} className="cal-week" data-week={week.toISOString().slice(0, 10)}>
              <Title order={2} fz="sm" mb={4}>
                Week of {weekFormat.format(week)}
              </Title>
              {events.length === 0 ? (
                <Text size="xs" c="dimmed">
                  Nothing planned.
                </Text>
              ) : (
                <Stack gap={4} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
                  {events.map((e) => (
                    <Group component="li" key={e.id} gap="sm" wrap="nowrap" align="baseline" data-kind={e.kind}>
                      <Text size="sm" w={230} style={{ flexShrink: 0 }}>
                        {when(e.start, e.end)}
                      </Text>
                      <SolidBadge background={KIND_COLORS[e.kind] ?? '#495057'} size="sm">
                        {KIND_LABELS[e.kind] ?? e.kind}
                      </SolidBadge>
                      <Text size="sm" fw={600}>
                        {e.title}
                        {new Date(e.end).getTime() < now ? ' (past)' : ''}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {[e.project, e.environment].filter(Boolean).join(' · ')}
                        {e.description ? ` — ${e.description}` : ''}
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

export default CalendarPage;
