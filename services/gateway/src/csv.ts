// CSV for list answers (`Accept: text/csv`): the response's first repeated field of flat messages becomes the
// rows, its fields the columns, in proto order. Derived from the types, like the routes.
import protobuf from 'protobufjs';

/** The repeated field whose elements are messages of scalar fields only, or undefined when there is none. */
export function csvRowsField(responseType: protobuf.Type): protobuf.Field | undefined {
  return responseType.fieldsArray.find(
    (field) =>
      field.repeated &&
      field.resolvedType instanceof protobuf.Type &&
      field.resolvedType.fieldsArray.every(
        (inner) => !inner.repeated && !(inner.resolvedType instanceof protobuf.Type),
      ),
  );
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  // Quote when needed; neutralise leading formula characters so a spreadsheet does not execute a cell.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180 CSV of `json[field]` (the toJSON form of the response), header row first. */
export function toCsv(field: protobuf.Field, json: Record<string, unknown>): string {
  const columns = (field.resolvedType as protobuf.Type).fieldsArray.map((inner) => inner.name);
  const rows = (json[field.name] as Array<Record<string, unknown>> | undefined) ?? [];
  return (
    [columns.join(','), ...rows.map((row) => columns.map((column) => cell(row[column])).join(','))].join('\r\n') +
    '\r\n'
  );
}
