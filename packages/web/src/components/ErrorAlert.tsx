import { Alert, Code, Text } from '@mantine/core';
import { ApiError } from '../api/client';

/** Shows an error as the API wrote it: its code, its message and any details. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  const details = apiError && Object.keys(apiError.details).length > 0 ? apiError.details : null;
  return (
    <Alert color="red" variant="light" title={title ?? 'The request failed'} role="alert" data-testid="api-error">
      {apiError ? (
        <Text size="sm">
          <Code>{apiError.code}</Code> {apiError.message}
        </Text>
      ) : (
        <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
      )}
      {details && (
        <Code block mt="xs" fz="xs">
          {JSON.stringify(details, null, 2)}
        </Code>
      )}
    </Alert>
  );
}
