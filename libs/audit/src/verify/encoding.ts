/** Hashes, keys and signatures travel as standard base64 (as in C2SP checkpoints and signed notes). */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decoding: Node's decoder silently skips bad characters, a verifier must not. */
export const fromBase64 = (text: string, bytes?: number): Buffer | null => {
  if (!BASE64.test(text) || text.length % 4 !== 0) return null;
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) return null;
  if (bytes !== undefined && decoded.length !== bytes) return null;
  return decoded;
};
