// MLLP_SENDERS: the LIS allowed to send results, as JSON in the environment (the chart renders it from values and
// admits the same addresses in its NetworkPolicy). Each: MSH-3, MSH-4, the addresses it connects from, and the
// character set of its messages whose MSH-18 is empty.
import type { ConfigField } from '../../../common/src/config';
import { charsetOfMsh18 } from '../domain/lis/charset';
import type { LisSender } from './mllp-listener';
import { isIP } from 'node:net';

export function lisSenders(): ConfigField<readonly LisSender[]> {
  return {
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return [];
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new Error('must be a JSON array of senders');
      }
      if (!Array.isArray(parsed)) throw new Error('must be a JSON array of senders');
      const problems: string[] = [];
      const senders = parsed.map((entry: unknown, index): LisSender => {
        const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
        const text = (key: string): string => (typeof item[key] === 'string' ? item[key].trim() : '');
        const sendingApplication = text('sendingApplication');
        const sendingFacility = text('sendingFacility');
        if (sendingApplication === '') problems.push(`[${index}].sendingApplication is required (MSH-3)`);
        if (sendingFacility === '') problems.push(`[${index}].sendingFacility is required (MSH-4)`);
        const addresses = Array.isArray(item['addresses']) ? (item['addresses'] as unknown[]) : [];
        if (addresses.length === 0 || addresses.some((a) => typeof a !== 'string' || isIP(a) === 0)) {
          problems.push(`[${index}].addresses must list the sender's IP addresses`);
        }
        const charsetName = text('defaultCharset') || 'UNICODE UTF-8';
        const defaultCharset = charsetOfMsh18(charsetName);
        if (defaultCharset === undefined)
          problems.push(`[${index}].defaultCharset "${charsetName}" is not a known MSH-18 value`);
        return {
          sendingApplication,
          sendingFacility,
          addresses: addresses.filter((a): a is string => typeof a === 'string'),
          defaultCharset: defaultCharset ?? 'utf-8',
        };
      });
      const keys = senders.map((s) => `${s.sendingApplication}|${s.sendingFacility}`);
      keys.forEach((key, index) => {
        if (keys.indexOf(key) !== index) problems.push(`[${index}] repeats MSH-3/MSH-4 ${key}`);
      });
      if (problems.length > 0) throw new Error(problems.join('; '));
      return senders;
    },
  };
}
