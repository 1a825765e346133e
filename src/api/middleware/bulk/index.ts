/**
 * bulk: bulk delete (`POST|DELETE ?bulk-delete`) and archive auto-extraction
 * (`PUT ?extract-archive=tar|tar.gz|tar.bz2`), as Swift's bulk middleware.
 *
 * Both answer 200 at once and stream their verdict: heartbeats of whitespace every yield_frequency
 * seconds, then a document (text/plain, application/json, application/xml or text/xml by Accept)
 * with 'Response Status', 'Response Body', 'Number Deleted' / 'Number Not Found' or
 * 'Number Files Created', and 'Errors' ([quoted name, status] pairs).
 * Every delete, HEAD/PUT container and object PUT is a subrequest carrying the caller's token, so the
 * auth middleware below judges each one.
 *
 * Pipeline position: before the auth middleware (Swift: ... listing_formats, bulk, tempurl ...).
 * /info: bulk_delete {max_deletes_per_request, max_failed_deletes},
 *        bulk_upload {max_containers_per_extraction, max_failed_extractions}.
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import type { Handler } from '../../http.js';
import { errorResponse } from '../../errors.js';
import { numberOption } from '../common/options.js';
import { ACCEPTABLE_FORMATS, bestMatch, heartbeatResponse } from './response.js';
import { runBulkDelete } from './delete.js';
import { runExtract, type Compression } from './extract.js';

export interface BulkOptions {
  max_containers_per_extraction: number;
  max_failed_extractions: number;
  max_deletes_per_request: number;
  max_failed_deletes: number;
  /** Seconds between heartbeats. */
  yield_frequency: number;
  delete_concurrency: number;
}

const NAME = 'bulk';

function read(o: BulkOptions) {
  return {
    maxContainers: numberOption(NAME, 'max_containers_per_extraction', o.max_containers_per_extraction, { min: 0, integer: true }),
    maxFailedExtractions: numberOption(NAME, 'max_failed_extractions', o.max_failed_extractions, { min: 0, integer: true }),
    maxDeletes: numberOption(NAME, 'max_deletes_per_request', o.max_deletes_per_request, { min: 0, integer: true }),
    maxFailedDeletes: numberOption(NAME, 'max_failed_deletes', o.max_failed_deletes, { min: 0, integer: true }),
    yieldFrequency: numberOption(NAME, 'yield_frequency', o.yield_frequency, { min: 0 }),
    deleteConcurrency: Math.min(1000, Math.max(1, numberOption(NAME, 'delete_concurrency', o.delete_concurrency, { integer: true }))),
  };
}

const ARCHIVE_TYPES: Record<string, Compression> = { 'tar': '', 'tar.gz': 'gz', 'tar.bz2': 'bz2' };

export const bulk: MiddlewareFactory<BulkOptions> = {
  name: NAME,
  defaults: {
    max_containers_per_extraction: 10000,
    max_failed_extractions: 1000,
    max_deletes_per_request: 10000,
    max_failed_deletes: 1000,
    yield_frequency: 10,
    delete_concurrency: 2,
  },
  validate(opts) { read(opts); },
  registerInfo(opts, info) {
    const c = read(opts);
    info.register('bulk_upload', {
      max_containers_per_extraction: c.maxContainers, max_failed_extractions: c.maxFailedExtractions,
    });
    info.register('bulk_delete', { max_deletes_per_request: c.maxDeletes, max_failed_deletes: c.maxFailedDeletes });
  },
  create(opts, deps) {
    const c = read(opts);
    const maxPathLength = deps.constraints.max_object_name_length + deps.constraints.max_container_name_length + 2;
    return (next: Handler): Handler => async (req) => {
      const extractType = req.query.get('extract-archive');
      if (extractType !== null && req.method === 'PUT') {
        const compression = ARCHIVE_TYPES[extractType.toLowerCase().replace(/^\.+|\.+$/g, '')];
        if (compression === undefined) return errorResponse(400, 'Unsupported archive format');
        const format = bestMatch(req.headers['accept'], ACCEPTABLE_FORMATS);
        return heartbeatResponse(format, c.yieldFrequency, () => runExtract(req, next, format, compression, {
          maxContainersPerExtraction: c.maxContainers, maxFailedExtractions: c.maxFailedExtractions,
          maxFileSize: deps.constraints.max_file_size, maxPathLength,
        }));
      }
      if (req.query.has('bulk-delete') && (req.method === 'POST' || req.method === 'DELETE')) {
        const format = bestMatch(req.headers['accept'], ACCEPTABLE_FORMATS);
        return heartbeatResponse(format, c.yieldFrequency, () => runBulkDelete(req, next, format, {
          maxDeletesPerRequest: c.maxDeletes, maxFailedDeletes: c.maxFailedDeletes,
          deleteConcurrency: c.deleteConcurrency, maxPathLength,
        }));
      }
      return next(req);
    };
  },
};
