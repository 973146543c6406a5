import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from '../cli-exit';

export interface UploadResult {
  status: number;
  body: unknown;
}

/** Answers larger than this are not what the API sends for a run; refused rather than buffered. */
const RESPONSE_BYTES_MAX = 8 * 1024 * 1024;

/**
 * Streams a file to the API as the request body (never read whole into memory), reporting
 * progress in bytes, and returns the parsed JSON answer.
 */
export const uploadFile = (options: {
  url: URL;
  token: string;
  file: string;
  contentType: string;
  onProgress: (sent: number, total: number) => void;
}): Promise<UploadResult> => {
  const total = statSync(options.file).size;
  const send = options.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      options.url,
      { method: 'POST', headers: { 'content-type': options.contentType, 'content-length': total, authorization: `Bearer ${options.token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > RESPONSE_BYTES_MAX) {
            res.destroy(new Error('the API answer is too large'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text === '' ? null : (JSON.parse(text) as unknown) });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on('error', (error) => reject(new UsageError(`cannot reach the API at ${options.url.origin}: ${error.message}`)));
    const input = createReadStream(options.file);
    let sent = 0;
    input.on('data', (chunk) => {
      sent += chunk.length;
      options.onProgress(sent, total);
    });
    input.on('error', (error) => {
      req.destroy(error);
      reject(new UsageError(`cannot read ${options.file}: ${error.message}`));
    });
    input.pipe(req);
  });
};
