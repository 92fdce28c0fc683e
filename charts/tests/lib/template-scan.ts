// A static reader of the chart's Go templates: it follows every `.Values` path (direct, through `$`,
// through the `.root` of helper dicts, and through the variables and dots that `range`, `with` and
// assignments bind) and resolves it against values.schema.json. Nothing is rendered: Helm is not run.
//
// A variable whose value the reader cannot follow (a dict field inside a helper) is bound explicitly
// with a comment action: {{- /* @schema $svc #/definitions/grpcService */ -}}.
import { isPlainObject, Schema } from './chart';

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** How a value was reached: the schema node that declares it and the key (`[]` for list items, `*` for map values). */
type Edge = string;

type Binding =
  | { readonly kind: 'root' } // the chart's root context: .Values, .Release, ...
  | { readonly kind: 'schema'; readonly nodes: readonly Schema[]; readonly path: string; readonly edges: readonly Edge[] }
  | { readonly kind: 'unknown' };

interface Frame {
  readonly kind: 'file' | 'define' | 'if' | 'with' | 'range';
  dot: Binding;
  readonly outerDot: Binding;
  readonly vars: Map<string, Binding>;
}

const ROOT: Binding = { kind: 'root' };
const UNKNOWN: Binding = { kind: 'unknown' };
const ROOT_FIELDS = new Set(['Values', 'Release', 'Chart', 'Capabilities', 'Template', 'Files', 'Subcharts']);
type Report = (offset: number, message: string) => void;

export class TemplateScanner {
  readonly findings: Finding[] = [];
  readonly defines = new Map<string, string>();
  readonly includes: { file: string; line: number; name: string }[] = [];
  /** Edges a template passes through on the way to a deeper value. */
  private readonly passed = new Set<Edge>();
  /** Edges whose whole value a template consumes (prints it, tests it, dumps it with toYaml). */
  private readonly consumed = new Set<Edge>();
  private readonly ids = new Map<Schema, number>();

  constructor(private readonly schema: Schema) {}

  scan(file: string, text: string): void {
    const stack: Frame[] = [{ kind: 'file', dot: ROOT, outerDot: ROOT, vars: new Map([['$', ROOT]]) }];
    const annotations = new Map<string, Binding>();
    const report: Report = (offset, message) => this.findings.push({ file, line: lineOf(text, offset), message });
    const actionPattern = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
    for (let match = actionPattern.exec(text); match; match = actionPattern.exec(text)) {
      const offset = match.index;
      const raw = (match[1] ?? '').trim();
      if (raw.startsWith('/*')) {
        const annotation = /@schema\s+(\$\w+)\s+(#\/\S+)/.exec(raw);
        if (annotation) {
          const binding = this.bindPointer(annotation[2] as string);
          if (!binding) report(offset, `@schema ${annotation[2]}: no such schema node`);
          else annotations.set(annotation[1] as string, binding);
        }
        continue;
      }
      for (const literal of raw.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) {
        this.includes.push({ file, line: lineOf(text, offset), name: literal[1] as string });
      }
      const action = stripStrings(raw);
      const top = stack[stack.length - 1] as Frame;
      const keyword = /^(\w+)/.exec(action)?.[1] ?? '';

      if (keyword === 'end') {
        if (stack.length === 1) report(offset, 'unbalanced {{ end }}');
        else stack.pop();
        continue;
      }
      if (keyword === 'else') {
        if (top.kind === 'with' || top.kind === 'range') top.dot = top.outerDot;
        const rest = action.replace(/^else\s*/, '').replace(/^if\s+/, '');
        if (rest) this.checkExpression(rest, stack, offset, report, true);
        continue;
      }
      if (keyword === 'define' || keyword === 'block') {
        const name = /^(?:define|block)\s+"([^"]+)"/.exec(raw)?.[1];
        if (name) {
          const previous = this.defines.get(name);
          if (previous) report(offset, `template "${name}" is defined twice (also in ${previous})`);
          this.defines.set(name, file);
        }
        stack.push({ kind: 'define', dot: UNKNOWN, outerDot: UNKNOWN, vars: new Map([['$', UNKNOWN]]) });
        annotations.clear();
        continue;
      }
      if (keyword === 'range') {
        const header = /^range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?([\s\S]*)$/.exec(action);
        const first = header?.[1];
        const second = header?.[2];
        const pipeline = (header?.[3] ?? '').trim();
        this.checkExpression(pipeline, stack, offset, report, !isSinglePath(pipeline));
        const element = this.elementOf(this.bindingOf(pipeline, stack));
        const frame: Frame = { kind: 'range', dot: element, outerDot: top.dot, vars: new Map() };
        if (first && second) {
          frame.vars.set(first, UNKNOWN);
          frame.vars.set(second, annotations.get(second) ?? element);
        } else if (first) {
          frame.vars.set(first, annotations.get(first) ?? element);
        }
        stack.push(frame);
        continue;
      }
      if (keyword === 'with' || keyword === 'if') {
        const header = new RegExp(`^${keyword}\\s+(?:(\\$\\w+)\\s*:=\\s*)?([\\s\\S]*)$`).exec(action);
        const variable = header?.[1];
        const pipeline = (header?.[2] ?? '').trim();
        // `with .Values.x` only opens x; `if .Values.x` reads it.
        this.checkExpression(pipeline, stack, offset, report, keyword === 'if' || !isSinglePath(pipeline));
        const bound = this.bindingOf(pipeline, stack);
        const frame: Frame = { kind: keyword, dot: keyword === 'with' ? bound : top.dot, outerDot: top.dot, vars: new Map() };
        if (variable) frame.vars.set(variable, bound);
        stack.push(frame);
        continue;
      }
      const assignment = /^(\$\w+)\s*(:?=)\s*([\s\S]*)$/.exec(action);
      if (assignment) {
        const variable = assignment[1] as string;
        const expression = (assignment[3] as string).trim();
        this.checkExpression(expression, stack, offset, report, !isSinglePath(expression));
        const binding = annotations.get(variable) ?? this.bindingOf(expression, stack);
        if (assignment[2] === ':=') top.vars.set(variable, binding);
        else if (!lookup(stack, variable)) report(offset, `assignment to undeclared variable ${variable}`);
        continue;
      }
      const printed = this.checkExpression(action, stack, offset, report, true);
      // Helm decodes values as JSON numbers (float64): printed as is, 1000000 becomes "1e+06".
      for (const { described, binding } of printed) {
        const unbounded = (node: Schema): boolean => node['type'] === 'integer' && !(typeof node['maximum'] === 'number' && node['maximum'] < 1e6);
        if (keyword !== 'fail' && binding.kind === 'schema' && binding.nodes.every(unbounded) && !/\bint64\b/.test(action)) {
          report(offset, `${described} is an integer printed without int64 (large values would print as 1e+06)`);
        }
      }
    }
    if (stack.length > 1) report(text.length, `${stack.length - 1} block(s) not closed with {{ end }}`);
  }

  /** Schema property paths (`a.b`, `a.list[].c`) that no template reads, directly or through a parent it reads whole. */
  unusedValuePaths(): string[] {
    const unused: string[] = [];
    const visit = (node: Schema, path: string, consumedAbove: boolean): void => {
      for (const branch of this.branches(node)) {
        const properties = branch['properties'];
        if (!isPlainObject(properties)) continue;
        for (const [key, child] of Object.entries(properties)) {
          if (!isPlainObject(child)) continue;
          const edge = this.edge(branch, key);
          const childPath = path ? `${path}.${key}` : key;
          const read = consumedAbove || this.consumed.has(edge);
          if (!read && !this.passed.has(edge)) {
            unused.push(childPath);
            continue;
          }
          const resolved = this.deref(child);
          visit(resolved, childPath, read);
          const items = resolved['items'];
          if (isPlainObject(items)) {
            const itemEdge = this.edge(resolved, '[]');
            visit(this.deref(items), `${childPath}[]`, read || this.consumed.has(itemEdge));
          }
        }
      }
    };
    visit(this.schema, '', false);
    return unused;
  }

  private id(node: Schema): number {
    let id = this.ids.get(node);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(node, id);
    }
    return id;
  }

  private edge(parent: Schema, key: string): Edge {
    return `${this.id(parent)}/${key}`;
  }

  /** Schema node at a JSON pointer such as `#/definitions/grpcService`. */
  private bindPointer(pointer: string): Binding | undefined {
    let node: unknown = this.schema;
    for (const part of pointer.replace(/^#\//, '').split('/')) {
      if (!isPlainObject(node)) return undefined;
      node = node[part];
    }
    return isPlainObject(node) ? { kind: 'schema', nodes: [this.deref(node)], path: pointer, edges: [] } : undefined;
  }

  private deref(node: Schema): Schema {
    let current = node;
    for (let hops = 0; typeof current['$ref'] === 'string'; hops++) {
      if (hops > 20) throw new Error('$ref cycle');
      let target: unknown = this.schema;
      for (const part of (current['$ref'] as string).replace(/^#\//, '').split('/')) target = isPlainObject(target) ? target[part] : undefined;
      if (!isPlainObject(target)) throw new Error(`unresolvable $ref ${String(current['$ref'])}`);
      current = target;
    }
    return current;
  }

  /** A node and the branches of its allOf/anyOf/oneOf, dereferenced. */
  private branches(node: Schema): Schema[] {
    const resolved = this.deref(node);
    const result = [resolved];
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      const list = resolved[keyword];
      if (Array.isArray(list)) for (const branch of list) if (isPlainObject(branch)) result.push(...this.branches(branch));
    }
    return result;
  }

  private children(nodes: readonly Schema[], key: string): { nodes: Schema[]; edges: Edge[] } {
    const found: Schema[] = [];
    const edges: Edge[] = [];
    for (const node of nodes) {
      for (const branch of this.branches(node)) {
        const properties = branch['properties'];
        if (isPlainObject(properties) && isPlainObject(properties[key])) {
          found.push(this.deref(properties[key]));
          edges.push(this.edge(branch, key));
          continue;
        }
        let matched = false;
        const patterns = branch['patternProperties'];
        if (isPlainObject(patterns)) {
          for (const [pattern, child] of Object.entries(patterns)) {
            if (isPlainObject(child) && new RegExp(pattern).test(key)) {
              found.push(this.deref(child));
              edges.push(this.edge(branch, '*'));
              matched = true;
            }
          }
        }
        const additional = branch['additionalProperties'];
        if (!matched && isPlainObject(additional) && keyAllowed(branch, key)) {
          found.push(this.deref(additional));
          edges.push(this.edge(branch, '*'));
        }
      }
    }
    return { nodes: found, edges };
  }

  /** What `range` iterates over: list items, or the values of a map. */
  private elementOf(binding: Binding): Binding {
    if (binding.kind !== 'schema') return UNKNOWN;
    const nodes: Schema[] = [];
    const edges: Edge[] = [];
    for (const node of binding.nodes) {
      for (const branch of this.branches(node)) {
        if (isPlainObject(branch['items'])) {
          nodes.push(this.deref(branch['items']));
          edges.push(this.edge(branch, '[]'));
        }
        const properties = branch['properties'];
        if (isPlainObject(properties)) {
          for (const [key, child] of Object.entries(properties)) {
            if (!isPlainObject(child)) continue;
            nodes.push(this.deref(child));
            edges.push(this.edge(branch, key));
          }
        }
        if (isPlainObject(branch['additionalProperties'])) {
          nodes.push(this.deref(branch['additionalProperties']));
          edges.push(this.edge(branch, '*'));
        }
      }
    }
    return nodes.length > 0 ? { kind: 'schema', nodes, path: `${binding.path}[]`, edges } : UNKNOWN;
  }

  /** Follows `fields` from a binding; says which field the schema does not declare. */
  private walk(start: Binding, fields: readonly string[], described: string, consume: boolean): { binding: Binding; missing?: string } {
    if (start.kind !== 'schema') return { binding: UNKNOWN };
    let current: { nodes: readonly Schema[]; edges: readonly Edge[] } = start;
    let walked = start.path;
    for (const field of fields) {
      for (const edge of current.edges) this.passed.add(edge);
      const next = this.children(current.nodes, field);
      walked = `${walked}.${field}`;
      if (next.nodes.length === 0) return { binding: UNKNOWN, missing: `${described}: "${field}" is not in values.schema.json (${walked})` };
      current = next;
    }
    for (const edge of current.edges) (consume ? this.consumed : this.passed).add(edge);
    return { binding: { kind: 'schema', nodes: current.nodes, path: walked, edges: current.edges } };
  }

  private valuesRoot(): Binding {
    return { kind: 'schema', nodes: [this.schema], path: '.Values', edges: [] };
  }

  /** Binding of an expression that is one path (`.Values.a`, `$x.b`, `.`, `$x`); unknown otherwise. */
  private bindingOf(expression: string, stack: readonly Frame[]): Binding {
    const trimmed = expression.trim().replace(/^\(([^()]*)\)$/, '$1').trim();
    if (trimmed === '.') return (stack[stack.length - 1] as Frame).dot;
    if (/^\$\w*$/.test(trimmed)) return lookup(stack, trimmed) ?? UNKNOWN;
    const single = /^(\$\w*)?((?:\.\w+)+)$/.exec(trimmed);
    if (!single) return UNKNOWN;
    return this.resolvePath(single[1], (single[2] as string).slice(1).split('.'), stack, false).binding;
  }

  private resolvePath(prefix: string | undefined, fields: string[], stack: readonly Frame[], consume: boolean): { binding: Binding; missing?: string; misuse?: string } {
    const described = `${prefix ?? ''}.${fields.join('.')}`;
    const top = stack[stack.length - 1] as Frame;
    const inDefine = stack.some((frame) => frame.kind === 'define');
    // `.root.Values...`: the root context carried in a helper's dict.
    if (prefix === undefined && fields[0] === 'root' && fields[1] === 'Values') return this.walk(this.valuesRoot(), fields.slice(2), described, consume);
    if (fields[0] === 'Values') {
      if (prefix === '$' || prefix === '$root') return this.walk(this.valuesRoot(), fields.slice(1), described, consume);
      if (prefix === undefined) {
        if (top.dot.kind === 'schema' || (top.dot.kind === 'unknown' && !inDefine)) {
          return { binding: UNKNOWN, misuse: `${described}: the dot is not the root context here (inside range/with): use $.Values` };
        }
        return this.walk(this.valuesRoot(), fields.slice(1), described, consume);
      }
      if (lookup(stack, prefix)?.kind === 'root') return this.walk(this.valuesRoot(), fields.slice(1), described, consume);
    }
    if (prefix === '$') return { binding: UNKNOWN };
    if (prefix !== undefined) {
      const variable = lookup(stack, prefix);
      if (!variable) return { binding: UNKNOWN, misuse: `undefined variable ${prefix}` };
      return this.walk(variable, fields, described, consume);
    }
    if (top.dot.kind === 'schema') return this.walk(top.dot, fields, described, consume);
    if (top.dot.kind === 'root' && !ROOT_FIELDS.has(fields[0] as string)) {
      return { binding: UNKNOWN, misuse: `${described}: the root context has no field "${fields[0]}"` };
    }
    return { binding: UNKNOWN };
  }

  /** Checks every path and variable of an expression; returns the paths with what they resolved to. */
  private checkExpression(expression: string, stack: readonly Frame[], offset: number, report: Report, consume: boolean): { described: string; binding: Binding }[] {
    const resolved: { described: string; binding: Binding }[] = [];
    if (/\bindex\s+\(?\s*(?:\$\w*|\.root)?\.Values\b/.test(expression)) {
      report(offset, `dynamic lookup into .Values (${expression.trim()}): use a static path so that it can be checked`);
    }
    const covered: [number, number][] = [];
    for (const match of expression.matchAll(/(?<![\w)\]])(\$\w*)?((?:\.[A-Za-z_]\w*)+)/g)) {
      const start = match.index ?? 0;
      covered.push([start, start + match[0].length]);
      const result = this.resolvePath(match[1], (match[2] as string).slice(1).split('.'), stack, consume);
      if (result.missing) report(offset, result.missing);
      if (result.misuse) report(offset, result.misuse);
      resolved.push({ described: match[0], binding: result.binding });
    }
    const inPath = (index: number): boolean => covered.some(([from, to]) => index >= from && index < to);
    for (const variable of expression.matchAll(/\$\w*/g)) {
      const index = variable.index ?? 0;
      if (inPath(index)) continue;
      const binding = lookup(stack, variable[0]);
      if (!binding) report(offset, `undefined variable ${variable[0]}`);
      else if (consume && binding.kind === 'schema') for (const edge of binding.edges) this.consumed.add(edge);
    }
    // A bare dot passed whole, e.g. `toYaml .` inside `with .Values.ingress.annotations`.
    const dot = (stack[stack.length - 1] as Frame).dot;
    if (consume && dot.kind === 'schema' && /(?<![\w)\]$.])\.(?![\w.])/.test(expression)) for (const edge of dot.edges) this.consumed.add(edge);
    return resolved;
  }
}

function keyAllowed(node: Schema, key: string): boolean {
  const names = node['propertyNames'];
  if (!isPlainObject(names) || typeof names['pattern'] !== 'string') return true;
  return new RegExp(names['pattern']).test(key);
}

function isSinglePath(expression: string): boolean {
  return /^(\$\w*)?((?:\.\w+)+)$/.test(expression.trim()) || /^\$\w*$/.test(expression.trim()) || expression.trim() === '.';
}

function lookup(stack: readonly Frame[], variable: string): Binding | undefined {
  for (let index = stack.length - 1; index >= 0; index--) {
    const frame = stack[index] as Frame;
    const found = frame.vars.get(variable);
    if (found) return found;
    if (frame.kind === 'define') return undefined;
  }
  return undefined;
}

function stripStrings(action: string): string {
  return action.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/`[^`]*`/g, '""');
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
