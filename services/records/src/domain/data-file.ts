// Reading the records service's reference data files (rule sets, schedules) with errors that name the file and
// the place inside it, so a bad edit to a data file stops the service at start-up with a sentence a person can act on.
import { dayNumberOf, DayNumber } from './calendar';

/**
 * A data file that does not say what the code needs. Not a DomainError on purpose: it is a deployment fault, and if
 * it ever reached a caller it must be INTERNAL, not blamed on the request.
 */
export class DataFileError extends Error {
  readonly file: string;
  readonly location: string;

  constructor(file: string, location: string, problem: string) {
    super(`${file}: ${location || '(top level)'}: ${problem}`);
    this.name = 'DataFileError';
    this.file = file;
    this.location = location;
  }
}

export function isDataFileError(error: unknown): error is DataFileError {
  return error instanceof DataFileError;
}

/** One value inside a parsed JSON file, with the path that leads to it (`rules[3].when.any[1]`). */
export class JsonNode {
  readonly file: string;
  readonly location: string;
  readonly value: unknown;

  constructor(file: string, location: string, value: unknown) {
    this.file = file;
    this.location = location;
    this.value = value;
  }

  static parse(file: string, text: string): JsonNode {
    try {
      return new JsonNode(file, '', JSON.parse(text) as unknown);
    } catch (error) {
      throw new DataFileError(file, '', `not valid JSON (${(error as Error).message})`);
    }
  }

  fail(problem: string): never {
    throw this.error(problem);
  }

  /** The error for this place, for callers that `throw` it themselves (so the compiler sees the branch end). */
  error(problem: string): DataFileError {
    return new DataFileError(this.file, this.location, problem);
  }

  isObject(): boolean {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
  }

  keys(): string[] {
    return Object.keys(this.objectValue());
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.objectValue(), name);
  }

  field(name: string): JsonNode {
    const object = this.objectValue();
    if (!Object.prototype.hasOwnProperty.call(object, name)) this.fail(`missing "${name}"`);
    return new JsonNode(this.file, this.childPath(name), object[name]);
  }

  optionalField(name: string): JsonNode | undefined {
    return this.has(name) ? this.field(name) : undefined;
  }

  /** Refuses keys the format does not define: a misspelt key would otherwise be silently ignored. */
  onlyKeys(allowed: readonly string[]): void {
    for (const key of this.keys()) {
      if (!allowed.includes(key))
        this.fail(`unknown key "${key}" (expected ${allowed.map((k) => `"${k}"`).join(', ')})`);
    }
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value.trim() === '') this.fail('must be a non-empty string');
    return this.value;
  }

  number(): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value)) this.fail('must be a number');
    return this.value;
  }

  integer(): number {
    const value = this.number();
    if (!Number.isInteger(value)) this.fail('must be a whole number');
    return value;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('must be true or false');
    return this.value;
  }

  date(): DayNumber {
    const day = typeof this.value === 'string' ? dayNumberOf(this.value) : undefined;
    if (day === undefined) this.fail('must be a calendar date written YYYY-MM-DD');
    return day;
  }

  array(): JsonNode[] {
    if (!Array.isArray(this.value)) this.fail('must be an array');
    return this.value.map((item: unknown, index) => new JsonNode(this.file, `${this.location}[${index}]`, item));
  }

  nonEmptyArray(): JsonNode[] {
    const items = this.array();
    if (items.length === 0) this.fail('must not be empty');
    return items;
  }

  /** A `{ "zh": ..., "en": ... }` label: the workstation shows Chinese, the record keeps both. */
  label(): BilingualLabel {
    this.objectValue();
    this.onlyKeys(['zh', 'en']);
    return { zh: this.field('zh').string(), en: this.field('en').string() };
  }

  private objectValue(): Record<string, unknown> {
    if (!this.isObject()) this.fail('must be an object');
    return this.value as Record<string, unknown>;
  }

  private childPath(name: string): string {
    return this.location ? `${this.location}.${name}` : name;
  }
}

/** Text shown to clinicians in Chinese and kept in English for engineers and exports. */
export interface BilingualLabel {
  readonly zh: string;
  readonly en: string;
}
