import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  classifyText,
  loadSensitiveTerms,
  matchSensitiveTerms,
  sensitiveTerms,
  textWithheld,
  visibleText,
} from './sensitive-text';

describe('the sensitive term list', () => {
  it('loads, every category cites a source and says whether it was confirmed', () => {
    const list = sensitiveTerms();
    expect(list.terms.length).toBeGreaterThan(20);
    for (const category of list.categories.values()) {
      expect(category.source.length).toBeGreaterThan(10);
      expect(['confirmed', 'unconfirmed']).toContain(category.status);
    }
    for (const code of ['hiv', 'syphilis', 'hepatitis_b', 'tuberculosis', 'mental_health'])
      expect(list.categories.has(code)).toBe(true);
  });

  it('refuses a term of an unknown category, naming the place', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'terms-')), 'terms.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'x',
        categories: [
          { code: 'hiv', labelZh: '艾滋病', labelEn: 'HIV', source: 'a regulation, article 39', status: 'confirmed' },
        ],
        terms: [{ term: 'TB', category: 'tb' }],
      }),
    );
    expect(() => loadSensitiveTerms(file)).toThrow(/terms\[0\]\.category/);
  });
});

describe('matching free text', () => {
  it.each([
    ['重度高血压; HIV', ['hiv']],
    ['重度高血压；ＨＩＶ阳性', ['hiv']],
    ['hiv-1 抗体待复查', ['hiv']],
    ['抗HIV抗体阳性', ['hiv']],
    ['艾滋病母婴阻断', ['hiv']],
    ['TPPA+, RPR 1:8', ['syphilis']],
    ['ｔｐｐａ阳性', ['syphilis']],
    ['HBsAg阳性，大三阳', ['hepatitis_b']],
    ['乙肝携带', ['hepatitis_b']],
    ['肺结核治疗中', ['tuberculosis']],
    ['EPDS 14 分，产后抑郁可能', ['mental_health']],
    ['suicidal thoughts', ['mental_health']],
    ['AIDS defining illness', ['hiv']],
    ['HIV 阴性；梅毒阳性', ['hiv', 'syphilis']],
  ])('%s names %j', (text, categories) => {
    expect(matchSensitiveTerms(text)).toEqual(categories);
  });

  it.each([
    'HIVE hives urticaria',
    'gestational hypertension 重度高血压',
    'She trusts the midwife',
    'TBD next visit',
    'uses walking aids',
    '',
  ])('%j names nothing', (text) => {
    expect(matchSensitiveTerms(text)).toEqual([]);
  });
});

describe('classifying a field at write time', () => {
  const plainEntry = { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false };
  const sensitiveEntry = { accompaniesSensitiveFact: true, authorMarkedNotSensitive: false };

  it('a term makes it sensitive whatever the author says', () => {
    expect(classifyText('重度高血压; HIV', { accompaniesSensitiveFact: true, authorMarkedNotSensitive: true })).toEqual(
      { sensitivity: 'names-sensitive', categories: ['hiv'] },
    );
    expect(classifyText('HIV', plainEntry).sensitivity).toBe('names-sensitive');
  });

  it('text beside a sensitive fact is sensitive unless its author clears it', () => {
    expect(classifyText('复查', sensitiveEntry).sensitivity).toBe('accompanies-sensitive');
    expect(classifyText('复查', { accompaniesSensitiveFact: true, authorMarkedNotSensitive: true }).sensitivity).toBe(
      'author-cleared',
    );
    expect(classifyText('复查', plainEntry).sensitivity).toBe('plain');
    expect(classifyText('  ', sensitiveEntry).sensitivity).toBe('plain');
  });

  it('withholds sensitive text from a reader who may not see sensitive facts, and says so', () => {
    expect(visibleText('HIV', 'names-sensitive', false)).toBe('');
    expect(visibleText('HIV', 'names-sensitive', true)).toBe('HIV');
    expect(visibleText('复查', 'unclassified', false)).toBe('');
    expect(visibleText('复查', 'author-cleared', false)).toBe('复查');
    expect(textWithheld('HIV', 'names-sensitive', false)).toBe(true);
    expect(textWithheld('', 'names-sensitive', false)).toBe(false);
  });
});
