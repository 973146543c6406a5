/** Hashes, keys and signatures travel as standard base64 (as in C2SP checkpoints and signed notes). */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * Strict base64 decoding: Node's decoder silently skips bad characters, a verifier must not.
 * Re-encoding must give the same text back, which only canonical base64 does.
 */
export const fromBase64 = (text: string, bytes?: number): Buffer | null => {
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) return null;
  if (bytes !== undefined && decoded.length !== bytes) return null;
  return decoded;
};
