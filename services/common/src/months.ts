// The months a statistics request covers, shared by every service that reports indicators by month.
import { Violations } from './errors';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MAX_MONTHS = 36;

function monthIndex(month: string): number {
  const [year, mm] = month.split('-').map(Number) as [number, number];
  return year * 12 + (mm - 1);
}

function monthOf(index: number): string {
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months asked for: `to` defaults to this month, `from` to 11 months before it; at most three years. */
export function statisticsPeriod(
  request: { from: string; to: string },
  today: string,
): { from: string; to: string; firstDay: string; endDay: string } {
  const violations = new Violations();
  const to = request.to || today.slice(0, 7);
  if (!MONTH.test(to)) violations.add('to', 'must be a month YYYY-MM');
  const from = request.from || (MONTH.test(to) ? monthOf(monthIndex(to) - 11) : '');
  if (!MONTH.test(from)) violations.add('from', 'must be a month YYYY-MM');
  violations.throwIfAny();
  if (monthIndex(from) > monthIndex(to)) violations.add('from', 'must not be after to');
  else if (monthIndex(to) - monthIndex(from) >= MAX_MONTHS)
    violations.add('from', `at most ${MAX_MONTHS} months at a time`);
  violations.throwIfAny();
  return { from, to, firstDay: `${from}-01`, endDay: `${monthOf(monthIndex(to) + 1)}-01` };
}
