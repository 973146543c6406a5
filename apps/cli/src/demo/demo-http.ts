/** A JSON answer from the API: status and parsed body (problem details on refusals). */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Per request: the demo runs on localhost, anything slower is a hang worth reporting. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Real HTTP to the API the demo started: the same path a client's request takes. */
export class DemoHttp {
  constructor(private readonly baseUrl: string) {}

  /** A body that is not JSON (a settlement file), sent as is with its content type. */
  async send(path: string, token: string, contentType: string, body: string): Promise<ApiAnswer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
  }

  async call(method: 'GET' | 'POST' | 'PUT', path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
  }
}

/** Reads `a.b.0.c` out of a parsed JSON body; undefined when any part is missing. */
export const pick = (value: unknown, path: string): unknown => {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
};

/** The string at `path`, or null (facts are JSON, so "missing" is null). */
export const pickString = (value: unknown, path: string): string | null => {
  const found = pick(value, path);
  return typeof found === 'string' ? found : null;
};

export const pickStrings = (value: unknown, path: string): string[] => {
  const found = pick(value, path);
  return Array.isArray(found) ? found.filter((v): v is string => typeof v === 'string') : [];
};
