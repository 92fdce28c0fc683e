// Search results as a Bundle of type searchset: total, self and next (and previous) links that carry the query with
// its `_offset`, entries with their fullUrl, and an outcome entry when the record read withheld sensitive entries.
import type { Bundle, BundleEntry, BundleLink, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Paging, Query } from './search';

function linkUrl(
  base: string,
  type: string,
  query: Query,
  offset: number,
  overrides: Readonly<Record<string, string>> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined || name === '_offset' || name in overrides) continue;
    for (const value of Array.isArray(raw) ? raw : [raw]) params.append(name, value);
  }
  if (offset > 0) params.set('_offset', String(offset));
  for (const [name, value] of Object.entries(overrides)) params.set(name, value);
  const text = params.toString();
  return `${base}/${type}${text ? `?${text}` : ''}`;
}

export interface SearchsetInput {
  readonly base: string;
  readonly type: string;
  readonly query: Query;
  readonly paging: Paging;
  /** Every match, in a stable order; the page is cut from it here. */
  readonly matches: readonly Resource[];
  /** When `matches` is already one page of a backend's own paging: the parameters of the next page, if there is one. */
  readonly backendPage?: { readonly next: Readonly<Record<string, string>> | undefined };
  readonly outcome?: OperationOutcome;
}

export function searchset(input: SearchsetInput): Bundle {
  const { base, type, query, paging } = input;
  const paged = input.backendPage === undefined;
  const page = paged ? input.matches.slice(paging.offset, paging.offset + paging.count) : input.matches;
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(base, type, query, paging.offset) }];
  if (paged) {
    if (paging.offset + paging.count < input.matches.length)
      link.push({ relation: 'next', url: linkUrl(base, type, query, paging.offset + paging.count) });
    if (paging.offset > 0)
      link.push({ relation: 'previous', url: linkUrl(base, type, query, Math.max(0, paging.offset - paging.count)) });
  } else if (input.backendPage?.next) {
    link.push({ relation: 'next', url: linkUrl(base, type, query, 0, input.backendPage.next) });
  }
  const entry: BundleEntry[] = page.map((resource) => ({
    fullUrl: `${base}/${resource.resourceType}/${resource.id ?? ''}`,
    resource,
    search: { mode: 'match' },
  }));
  if (input.outcome) entry.push({ resource: input.outcome, search: { mode: 'outcome' } });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(paged ? { total: input.matches.length } : {}),
    link,
    entry,
  };
}
