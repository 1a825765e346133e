/**
 * crossdomain: serves /crossdomain.xml, the Adobe cross-domain policy file that lets Flash/Silverlight
 * clients talk to the cluster (Swift's crossdomain middleware). Only GET of exactly that path.
 *
 * Pipeline position: before the auth middleware (the file is public).
 */
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler } from '../http.js';
import { stringOption } from './common/options.js';

export interface CrossDomainOptions {
  /** The policy lines placed inside <cross-domain-policy>. */
  cross_domain_policy: string;
}

const NAME = 'crossdomain';

export function policyDocument(policy: string): string {
  return '<?xml version="1.0"?>\n'
    + '<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
    + '<cross-domain-policy>\n'
    + `${policy}\n`
    + '</cross-domain-policy>';
}

export const crossdomain: MiddlewareFactory<CrossDomainOptions> = {
  name: NAME,
  defaults: { cross_domain_policy: '<allow-access-from domain="*" secure="false" />' },
  validate(o) { stringOption(NAME, 'cross_domain_policy', o.cross_domain_policy); },
  registerInfo(_o, info) { info.register(NAME, {}); },
  create(opts) {
    // Swift strips each configured line, so an indented multi-line YAML value reads the same.
    const policy = stringOption(NAME, 'cross_domain_policy', opts.cross_domain_policy)
      .split('\n').map((l) => l.trim()).join('\n');
    const body = policyDocument(policy);
    return (next: Handler): Handler => async (req) => {
      if (req.path !== '/crossdomain.xml' || req.method !== 'GET') return next(req);
      return {
        status: 200,
        headers: { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) },
        body,
      };
    };
  },
};
