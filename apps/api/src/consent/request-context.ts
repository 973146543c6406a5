import type { FastifyRequest } from 'fastify';
import { Actor, actorLabel } from '@attest/auth';
import { AppendContext } from '@attest/event-store';
import { Evidence } from '@attest/consent';

/** Event metadata for a command: the verified actor, the request id as correlation id, the instant. */
export const appendContext = (actor: Actor, request: FastifyRequest, now: string): AppendContext => ({
  actor: actorLabel(actor),
  recordedAt: now,
  correlationId: String(request.id),
});

/**
 * Evidence of a consent act, taken from the connection rather than trusted from the body. The
 * address is cut to its network (/24, /48): enough to show where the act came from, not who.
 */
export const evidenceOf = (request: FastifyRequest): Evidence => {
  const ip = request.ip ?? '';
  let ipPrefix: string | null = null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) ipPrefix = `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  else if (ip.includes(':')) ipPrefix = `${ip.split(':').slice(0, 3).join(':')}::/48`;
  const agent = request.headers['user-agent'];
  return { ipPrefix, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
};
