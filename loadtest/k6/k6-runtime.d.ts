// The one global the k6 runtime provides that @types/k6 does not declare (it comes from lib.dom or @types/node
// elsewhere, and both are kept out of these scripts on purpose).
declare var console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
