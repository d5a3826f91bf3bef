// Filled in once the per-user endpoint ships (see packages/web/API-NEEDS.md).
export function UserFlagsPanel(_props: { project: string }) {
  return null;
}
