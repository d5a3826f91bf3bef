import { Busboy } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ValidationError } from '../shared/errors.js';

/** A JUnit report sent as `multipart/form-data` (`curl -F file=@report.xml`): the file part's text. */
export interface MultipartReport {
  readonly multipart: true;
  readonly xml: string;
  readonly filename: string;
}

/** Thrown when the single file part is larger than the route's limit. */
export class MultipartTooLargeError extends Error {
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/**
 * Reads a multipart upload with exactly one file part, up to `limit` bytes. Other fields are
 * ignored (the run is tagged through the query string, as for a raw XML body); no file part, a
 * second file part or a truncated file are refused naming the field.
 */
export function readMultipartReport(headers: IncomingHttpHeaders, body: Readable, limit: number): Promise<MultipartReport> {
  return new Promise((resolve, reject) => {
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({ headers: headers as IncomingHttpHeaders & { 'content-type': string }, limits: { files: 2, fileSize: limit, fields: 20, fieldSize: 1024 } });
    } catch (error) {
      reject(new ValidationError(`The multipart body cannot be read: ${(error as Error).message}.`, { field: 'body' }));
      return;
    }
    const chunks: Buffer[] = [];
    let file: { name: string; field: string } | null = null;
    let failed: Error | null = null;
    const fail = (error: Error) => {
      failed ??= error;
    };
    parser.on('file', (field, stream, filename) => {
      if (file !== null) {
        fail(new ValidationError(`Send one JUnit report per upload; a second file came in field ${field}.`, { field }));
        stream.resume();
        return;
      }
      file = { name: filename, field };
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new MultipartTooLargeError('The JUnit report is larger than the limit.')));
    });
    parser.on('filesLimit', () => fail(new ValidationError('Send one JUnit report per upload.', { field: 'file' })));
    parser.on('error', (error) => fail(new ValidationError(`The multipart body cannot be read: ${(error as Error).message}.`, { field: 'body' })));
    parser.on('finish', () => {
      if (failed) return reject(failed);
      if (file === null) return reject(new ValidationError('The multipart body has no file part: send the report as a file field (curl -F file=@report.xml).', { field: 'file' }));
      resolve({ multipart: true, xml: Buffer.concat(chunks).toString('utf8'), filename: (file as { name: string }).name });
    });
    body.on('error', (error) => fail(error));
    body.pipe(parser);
  });
}
