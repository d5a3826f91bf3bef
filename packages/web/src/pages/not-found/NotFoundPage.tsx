import { Anchor, Stack, Text } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import { PageHeader } from '../../components/PageHeader';

export function NotFoundPage() {
  const location = useLocation();
  return (
    <Stack data-testid="not-found">
      <PageHeader title="Page not found" />
      <Text>
        Nothing lives at <code>{location.pathname}</code>. It may have been renamed or deleted, or the link is mistyped.
      </Text>
      <Anchor component={Link} to="/">
        Go to what runs where
      </Anchor>
    </Stack>
  );
}
