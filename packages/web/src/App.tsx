import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api/client';
import { SessionProvider, useMeQuery } from './api/session';
import { ErrorAlert } from './components/ErrorAlert';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { HomePage } from './pages/home/HomePage';
import { LoginPage } from './pages/login/LoginPage';
import { NotFoundPage } from './pages/not-found/NotFoundPage';

// Every page but the first is loaded when it is visited, so the first page's JavaScript stays small.
const ProjectPage = lazy(() => import('./pages/project/ProjectPage'));
const ReleasePage = lazy(() => import('./pages/release/ReleasePage'));
const DeploymentPage = lazy(() => import('./pages/deployment/DeploymentPage'));
const FlagsPage = lazy(() => import('./pages/flags/FlagsPage'));
const FlagPage = lazy(() => import('./pages/flag/FlagPage'));
const AuditPage = lazy(() => import('./pages/audit/AuditPage'));
const SettingsPage = lazy(() => import('./pages/settings/SettingsPage'));
const RolloutPage = lazy(() => import('./pages/rollout/RolloutPage'));
const RolloutsPage = lazy(() => import('./pages/rollout/RolloutsPage'));
const InsightsPage = lazy(() => import('./pages/insights/InsightsPage'));
const CalendarPage = lazy(() => import('./pages/calendar/CalendarPage'));

const theme = createTheme({
  primaryColor: 'indigo',
  // Darker default shades keep white text on filled buttons above 4.5:1.
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  // Every dialog's ✕ has a name (axe button-name); a plain object keeps Modal out of the first page's bundle.
  components: {
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } },
    Notification: { defaultProps: { closeButtonProps: { 'aria-label': 'Close notification' } } },
  },
});

// Mantine's "dimmed" grey is below 4.5:1 on white; a darker grey keeps secondary text readable (axe color-contrast).
const cssVariablesResolver: CSSVariablesResolver = () => ({ variables: {}, light: { '--mantine-color-dimmed': '#495057' }, dark: {} });

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      staleTime: 5_000,
    },
  },
});

function Authenticated() {
  const me = useMeQuery();
  const location = useLocation();
  if (me.isPending) return <Loading label="Checking your session" />;
  if (me.isError) return <ErrorAlert error={me.error} title="Slipway could not be reached" />;
  if (me.data === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return (
    <SessionProvider me={me.data}>
      <Layout>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<HomePage />} />
            <Route path="/projects/:project" element={<ProjectPage />} />
            <Route path="/projects/:project/releases/:version" element={<ReleasePage />} />
            <Route path="/projects/:project/flags" element={<FlagsPage />} />
            <Route path="/projects/:project/flags/:flag" element={<FlagPage />} />
            <Route path="/deployments/:id" element={<DeploymentPage />} />
            <Route path="/projects/:project/rollouts" element={<RolloutsPage />} />
            <Route path="/rollouts/:id" element={<RolloutPage />} />
            <Route path="/insights" element={<InsightsPage />} />
            <Route path="/calendar" element={<CalendarPage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/settings/*" element={<SettingsPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </Suspense>
      </Layout>
    </SessionProvider>
  );
}

export function App() {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="*" element={<Authenticated />} />
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
