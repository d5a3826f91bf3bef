import '@mantine/dates/styles.css';
import { Tabs } from '@mantine/core';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { NotFoundPage } from '../not-found/NotFoundPage';
import { ChannelsSettings } from './ChannelsSettings';
import { DeliveriesSettings } from './DeliveriesSettings';
import { EnvironmentEditor } from './EnvironmentEditor';
import { EnvironmentsSettings } from './EnvironmentsSettings';
import { ProjectsSettings } from './ProjectsSettings';
import { SdkKeysSettings } from './SdkKeysSettings';
import { TokensSettings } from './TokensSettings';
import { UsersSettings } from './UsersSettings';

const SECTIONS = [
  ['environments', 'Environments'],
  ['projects', 'Projects'],
  ['users', 'Users and roles'],
  ['tokens', 'API tokens'],
  ['sdk-keys', 'SDK keys'],
  ['channels', 'Notification channels'],
  ['deliveries', 'Deliveries'],
] as const;

export function SettingsPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const section = location.pathname.split('/')[2] ?? 'environments';
  return (
    <>
      <PageHeader title="Settings" />
      <Tabs value={section} onChange={(v) => v && navigate(`/settings/${v}`)} mb="md">
        <Tabs.List aria-label="Settings sections">
          {SECTIONS.map(([value, label]) => (
            <Tabs.Tab key={value} value={value}>
              {label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Routes>
        <Route index element={<Navigate to="environments" replace />} />
        <Route path="environments" element={<EnvironmentsSettings />} />
        <Route path="environments/:env" element={<EnvironmentEditor />} />
        <Route path="projects" element={<ProjectsSettings />} />
        <Route path="users" element={<UsersSettings />} />
        <Route path="tokens" element={<TokensSettings />} />
        <Route path="sdk-keys" element={<SdkKeysSettings />} />
        <Route path="channels" element={<ChannelsSettings />} />
        <Route path="deliveries" element={<DeliveriesSettings />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </>
  );
}

export default SettingsPage;
