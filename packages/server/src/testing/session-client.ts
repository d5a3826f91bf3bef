import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './test-app.js';

export interface SignedIn {
  /** The Cookie request header to send back (`slipway_session=…`). */
  readonly cookie: string;
  readonly csrfToken: string;
  readonly response: LightMyRequestResponse;
}

/** The raw Set-Cookie header of a response (one cookie). */
export function setCookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') throw new Error(`no set-cookie in ${response.statusCode} ${response.body}`);
  return value;
}

/** Signs in through POST /api/v1/session like the web app does; throws unless it answers 200. */
export async function signIn(t: TestApp, username: string, password: string, remoteAddress = '127.0.0.1'): Promise<SignedIn> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, remoteAddress });
  if (response.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${response.statusCode} ${response.body}`);
  const cookie = setCookieOf(response).split(';')[0]!;
  return { cookie, csrfToken: response.json().csrfToken, response };
}

/** Creates a user with a password through the API (as the admin token). */
export async function createUserWithPassword(t: TestApp, username: string, role: string, password = 'correct horse battery staple'): Promise<{ id: string; password: string }> {
  const res = await t.request({ method: 'POST', url: '/api/v1/users', payload: { username, role, password } });
  if (res.statusCode !== 201) throw new Error(`could not create ${username}: ${res.body}`);
  return { id: res.json().id, password };
}
