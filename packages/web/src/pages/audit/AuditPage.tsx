import { Button, Group, Stack, TextInput } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, withQuery } from '../../api/client';
import type { AuditRecord, Page } from '../../api/types';
import { AuditList } from '../../components/AuditList';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';

const FILTERS = ['actor', 'resourceType', 'resourceId', 'action', 'since', 'until'] as const;
type Filter = (typeof FILTERS)[number];

/** The audit log, filtered by actor, resource, action and time range; the filters live in the URL. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  const [draft, setDraft] = useState(applied);
  const records = useInfiniteQuery({
    queryKey: ['api', withQuery('/api/v1/audit', applied)],
    queryFn: ({ pageParam, signal }) => api.get<Page<AuditRecord>>(withQuery('/api/v1/audit', { ...applied, limit: 50, cursor: pageParam }), { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const f of FILTERS) if (draft[f].trim()) next.set(f, draft[f].trim());
    setParams(next);
  };
  const text = (f: Filter, label: string, placeholder: string) => (
    <TextInput label={label} placeholder={placeholder} value={draft[f]} onChange={(e) => setDraft({ ...draft, [f]: e.currentTarget.value })} w={170} />
  );
  const date = (f: Filter, label: string) => (
    <DateTimePicker
      label={label}
      clearable
      w={200}
      value={draft[f] ? new Date(draft[f]) : null}
      onChange={(value) => setDraft({ ...draft, [f]: value ? new Date(value).toISOString() : '' })}
      valueFormat="YYYY-MM-DD HH:mm"
    />
  );
  const items = records.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack>
      <PageHeader title="Audit log" subtitle="Every change, who made it and what it was before and after" />
      <form onSubmit={submit} aria-label="Filter the audit log">
        <Group align="flex-end">
          {text('actor', 'Actor', 'username')}
          {text('resourceType', 'Resource type', 'flag, deployment…')}
          {text('resourceId', 'Resource', 'e.g. api/new-checkout')}
          {text('action', 'Action', 'e.g. flag.updated')}
          {date('since', 'From')}
          {date('until', 'Until')}
          <Button type="submit">Filter</Button>
          <Button
            variant="default"
            onClick={() => {
              setDraft(Object.fromEntries(FILTERS.map((f) => [f, ''])) as Record<Filter, string>);
              setParams(new URLSearchParams());
            }}
          >
            Clear
          </Button>
        </Group>
      </form>
      <ErrorAlert error={records.error} />
      {records.isPending ? <Loading /> : <AuditList items={items} />}
      {records.hasNextPage && (
        <Button variant="default" onClick={() => records.fetchNextPage()} loading={records.isFetchingNextPage} w="fit-content">
          Load more
        </Button>
      )}
    </Stack>
  );
}

export default AuditPage;
