// Names for the API's shapes, all taken from the generated OpenAPI types (schema.d.ts): no response
// type is written by hand, so a server change that breaks the web app fails `npm run typecheck`.
import type { paths } from './schema';

type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : never;
type Ok<R> = R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer B } ? JsonOf<B> : never;
type Created<R> = R extends { 201: infer B } ? JsonOf<B> : R extends { 200: infer A } ? JsonOf<A> : never;

/** The JSON a successful `method path` answers (200, else 201). */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? Ok<R> : never;
/** The JSON of a 201 (falls back to the 200). */
export type CreatedOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? Created<R> : never;
/** The JSON body `method path` accepts. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The query parameters of `method path`. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

type Item<L> = L extends { items: Array<infer I> } ? I : never;

export type Me = ResponseOf<'/api/v1/me', 'get'>;
export type Status = ResponseOf<'/api/v1/status', 'get'>;
export type StatusCell = Status['items'][number];
export type Environment = ResponseOf<'/api/v1/environments/{env}', 'get'>;
export type EnvironmentPatch = BodyOf<'/api/v1/environments/{env}', 'patch'>;
export type EnvironmentCreate = BodyOf<'/api/v1/environments', 'post'>;
export type Project = ResponseOf<'/api/v1/projects/{project}', 'get'>;
export type ProjectCreate = BodyOf<'/api/v1/projects', 'post'>;
export type ProjectPatch = BodyOf<'/api/v1/projects/{project}', 'patch'>;
export type ReleaseSummary = Item<ResponseOf<'/api/v1/projects/{project}/releases', 'get'>>;
export type Release = ResponseOf<'/api/v1/projects/{project}/releases/{version}', 'get'>;
export type ChangelogEntry = Release['changelog'][number];
export type ReleaseCreate = BodyOf<'/api/v1/projects/{project}/releases', 'post'>;
export type Compare = ResponseOf<'/api/v1/projects/{project}/compare', 'get'>;
export type Signoffs = ResponseOf<'/api/v1/projects/{project}/releases/{version}/signoffs', 'get'>;
export type Signoff = Signoffs['items'][number];
export type SignoffCreate = BodyOf<'/api/v1/projects/{project}/releases/{version}/signoffs', 'post'>;
export type Deployment = ResponseOf<'/api/v1/deployments/{id}', 'get'>;
export type DeploymentCreate = BodyOf<'/api/v1/projects/{project}/deployments', 'post'>;
export type DeploymentList = ResponseOf<'/api/v1/projects/{project}/deployments', 'get'>;
export type LogPage = ResponseOf<'/api/v1/deployments/{id}/logs', 'get'>;
export type LogLine = LogPage['items'][number];
export type Flag = ResponseOf<'/api/v1/projects/{project}/flags/{flag}', 'get'>;
export type FlagEnvironment = Flag['environments'][number];
export type FlagCreate = BodyOf<'/api/v1/projects/{project}/flags', 'post'>;
export type FlagEnvConfig = BodyOf<'/api/v1/projects/{project}/flags/{flag}/environments/{env}', 'put'>;
export type Segment = Item<ResponseOf<'/api/v1/projects/{project}/segments', 'get'>>;
export type AuditRecord = Item<ResponseOf<'/api/v1/audit', 'get'>>;
export type AuditQuery = QueryOf<'/api/v1/audit', 'get'>;
export type User = Item<ResponseOf<'/api/v1/users', 'get'>>;
export type UserCreate = BodyOf<'/api/v1/users', 'post'>;
export type UserPatch = BodyOf<'/api/v1/users/{id}', 'patch'>;
export type ApiToken = Item<ResponseOf<'/api/v1/tokens', 'get'>>;
export type TokenCreated = CreatedOf<'/api/v1/tokens', 'post'>;
export type SdkKey = Item<ResponseOf<'/api/v1/projects/{project}/environments/{env}/sdk-keys', 'get'>>;
export type SdkKeyCreated = CreatedOf<'/api/v1/projects/{project}/environments/{env}/sdk-keys', 'post'>;
export type Channel = Item<ResponseOf<'/api/v1/channels', 'get'>>;
export type ChannelCreate = BodyOf<'/api/v1/channels', 'post'>;
export type ChannelTest = ResponseOf<'/api/v1/channels/{id}/test', 'post'>;
export type Delivery = Item<ResponseOf<'/api/v1/deliveries', 'get'>>;
export type Page<T> = { items: T[]; nextCursor: string | null };
/** POST …/releases with `dryRun: true`: what a release would be, tagging nothing. */
export type ReleasePreview = Extract<ResponseOf<'/api/v1/projects/{project}/releases', 'post'>, { dryRun: true }>;
/** POST …/deployments with `dryRun: true`: every guard that would refuse, creating nothing. */
export type DeployPreflight = Extract<ResponseOf<'/api/v1/projects/{project}/deployments', 'post'>, { allowed: boolean }>;
export type Refusal = DeployPreflight['refusals'][number];
/** GET …/environments/{env}/rollback-preview: what a rollback would deploy and what it removes. */
export type RollbackPreview = ResponseOf<'/api/v1/projects/{project}/environments/{env}/rollback-preview', 'get'>;
/** An environment's approval group as the API shows it. */
export type ApprovalGroup = Environment['approvals'][number];
/** An approval group as PATCH /environments/{env} takes it. */
export type ApprovalGroupInput = Extract<NonNullable<EnvironmentPatch['approvals']>, unknown[]>[number];
export type DeploymentApprovalGroup = Deployment['approvals']['groups'][number];
