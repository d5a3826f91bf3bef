import { AppShell, Anchor, Badge, Button, Group, NavLink, Select, Text, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate, useParams, matchPath } from 'react-router';
import { useApiQuery } from '../api/queries';
import { useSession } from '../api/session';
import type { Page, Project } from '../api/types';

function ProjectSwitcher() {
  const location = useLocation();
  const navigate = useNavigate();
  const match = matchPath('/projects/:project/*', location.pathname);
  const projects = useApiQuery<Page<Project>>('/api/v1/projects', { limit: 200 });
  const current = match?.params.project ?? null;
  return (
    <Select
      aria-label="Project"
      placeholder="Go to project…"
      searchable
      size="xs"
      w={220}
      data={(projects.data?.items ?? []).map((p) => ({ value: p.key, label: p.name || p.key }))}
      value={current}
      onChange={(value) => value && navigate(`/projects/${encodeURIComponent(value)}`)}
      nothingFoundMessage="No project"
    />
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, signOut } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const params = useParams();
  const project = matchPath('/projects/:project/*', location.pathname)?.params.project ?? params.project;
  const links = [
    { to: '/', label: 'What runs where', active: location.pathname === '/' },
    ...(project
      ? [
          { to: `/projects/${encodeURIComponent(project)}`, label: `Releases of ${project}`, active: /^\/projects\/[^/]+\/?$/.test(location.pathname) || location.pathname.includes('/releases/') },
          { to: `/projects/${encodeURIComponent(project)}/flags`, label: `Flags of ${project}`, active: location.pathname.includes('/flags') },
          { to: `/projects/${encodeURIComponent(project)}/rollouts`, label: `Rollouts of ${project}`, active: location.pathname.endsWith('/rollouts') },
        ]
      : []),
    { to: '/insights', label: 'Insights', active: location.pathname.startsWith('/insights') },
    { to: '/calendar', label: 'Release calendar', active: location.pathname.startsWith('/calendar') },
    { to: '/audit', label: 'Audit log', active: location.pathname.startsWith('/audit') },
    { to: '/settings', label: 'Settings', active: location.pathname.startsWith('/settings') },
  ];
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <a href="#main" className="skip-link" style={{ position: 'absolute', left: -9999 }} onFocus={(e) => (e.currentTarget.style.left = '8px')} onBlur={(e) => (e.currentTarget.style.left = '-9999px')}>
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="md">
            <Anchor component={Link} to="/" fw={700} fz="lg" c="dark" underline="never">
              Slipway
            </Anchor>
            <ProjectSwitcher />
          </Group>
          <Group gap="xs">
            <Text size="sm" data-testid="signed-in-as">
              <VisuallyHidden>Signed in as </VisuallyHidden>
              {me.username}
            </Text>
            <Badge variant="outline" color="dark">
              {me.role}
            </Badge>
            <Button
              size="xs"
              variant="default"
              onClick={async () => {
                await signOut();
                navigate('/login');
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {links.map((link) => (
          <NavLink key={link.to} component={Link} to={link.to} label={link.label} active={link.active} aria-current={link.active ? 'page' : undefined} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
