import { Anchor, Badge, Code, Group, List, Stack, Text, Title } from '@mantine/core';
import type { ChangelogEntry } from '../api/types';
import { groupChangelog } from './changelog-groups';

/** A ticket key, linked when the project has a ticket URL template (the API fills `ticketLinks`). */
export function TicketLink({ ticket, links }: { ticket: string; links: ReadonlyMap<string, string> }) {
  const href = links.get(ticket);
  return href ? (
    <Anchor href={href} target="_blank" rel="noreferrer" size="sm">
      {ticket}
    </Anchor>
  ) : (
    <Badge variant="outline" color="dark" size="sm">
      {ticket}
    </Badge>
  );
}

const TITLES = { breaking: 'Breaking changes', features: 'Features', fixes: 'Fixes', other: 'Other changes' } as const;

/** A changelog grouped into breaking changes, features, fixes and the rest, tickets linked. */
export function Changelog({ entries, links, headingLevel = 3 }: { entries: readonly ChangelogEntry[]; links: ReadonlyMap<string, string>; headingLevel?: 2 | 3 | 4 }) {
  const groups = groupChangelog(entries);
  if (entries.length === 0) return <Text c="dimmed">No commits.</Text>;
  return (
    <Stack gap="sm" data-testid="changelog">
      {(Object.keys(TITLES) as Array<keyof typeof TITLES>).map((key) =>
        groups[key].length === 0 ? null : (
          <section key={key} aria-label={TITLES[key]} data-group={key}>
            <Title order={headingLevel} fz="h5" c={key === 'breaking' ? 'red.9' : undefined}>
              {TITLES[key]} ({groups[key].length})
            </Title>
            <List size="sm" spacing={2}>
              {groups[key].map((entry) => (
                <List.Item key={entry.sha}>
                  <Group gap={6} wrap="wrap">
                    {entry.scope && <Text span fw={600} size="sm">{entry.scope}:</Text>}
                    <Text span size="sm">
                      {entry.subject}
                    </Text>
                    {entry.tickets.map((t) => (
                      <TicketLink key={t} ticket={t} links={links} />
                    ))}
                    <Text span size="xs" c="dimmed">
                      {entry.author.name} · <Code fz="xs">{entry.sha.slice(0, 8)}</Code>
                    </Text>
                  </Group>
                  {entry.breakingNote && (
                    <Text size="xs" c="red.9">
                      {entry.breakingNote}
                    </Text>
                  )}
                </List.Item>
              ))}
            </List>
          </section>
        ),
      )}
    </Stack>
  );
}
