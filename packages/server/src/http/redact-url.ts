/** Query parameters that carry credentials (calendar feeds, tracker webhooks): never logged. */
const SECRET_PARAMS = /([?&](?:token|key|secret)=)[^&#]*/gi;

/** The URL as logs may show it: secret query values replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***');
}
