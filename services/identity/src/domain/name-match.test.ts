import fc from 'fast-check';
import { InvalidArgumentError } from '../../../common/src/errors';
import {
  CANDIDATE_REVIEW_THRESHOLD,
  CandidateInput,
  NAME_REVIEW_FLOOR,
  NameMatchReason,
  blockingKeys,
  candidateScore,
  compareNames,
  namePhonetics,
  normalizeName,
} from './name-match';

const BIRTH_DATE = '1995-03-08';

/** A candidate pair that agrees on everything but the names. */
function sameDayPair(nameA: string, nameB: string): CandidateInput {
  return { nameA, nameB, birthDateA: BIRTH_DATE, birthDateB: BIRTH_DATE, sexA: 'female', sexB: 'female' };
}

function sharesBlockingKey(nameA: string, nameB: string, birthDate = BIRTH_DATE): boolean {
  const keys = new Set(blockingKeys(nameA, birthDate));
  return blockingKeys(nameB, birthDate).some((key) => keys.has(key));
}

interface Fixture {
  readonly a: string;
  readonly b: string;
  readonly decision: 'review' | 'no-match';
  /** A reason compareNames must give. */
  readonly reason?: NameMatchReason;
}

/** Pairs with the same birth date and sex. Each comment says why a person should (or should not) look at the pair. */
const FIXTURES: readonly Fixture[] = [
  // The same name typed twice, once with a space, once with the Yi-name middle dot: one person.
  { a: '李 梅', b: '李梅', decision: 'review', reason: 'exact' },
  { a: '阿依·莫', b: '阿依莫', decision: 'review', reason: 'exact' },
  // Traditional and simplified forms of one name (a Hong Kong / Taiwan document, or an old register).
  { a: '陳小梅', b: '陈小梅', decision: 'review', reason: 'traditional-simplified' },
  { a: '劉德芳', b: '刘德芳', decision: 'review', reason: 'traditional-simplified' },
  { a: '者秀蘭', b: '者秀兰', decision: 'review', reason: 'traditional-simplified' },
  // Homophones: a clerk wrote the sound, not the character (张/章 zhāng, 梅/玫 méi, 王/汪 wáng).
  { a: '张丽', b: '章丽', decision: 'review', reason: 'homophone' },
  { a: '李梅', b: '李玫', decision: 'review', reason: 'homophone' },
  { a: '王芳', b: '汪芳', decision: 'review', reason: 'homophone' },
  // Pinyin input where Han characters could not be typed: the same sounds, whatever the case and spacing.
  { a: 'Li Mei', b: '李梅', decision: 'review', reason: 'pinyin-input' },
  { a: 'limei', b: '李梅', decision: 'review', reason: 'pinyin-input' },
  { a: 'LI MEI', b: '李梅', decision: 'review', reason: 'pinyin-input' },
  { a: 'Lǚ Méi', b: '吕梅', decision: 'review', reason: 'pinyin-input' },
  // Polyphonic surnames: 单 is Shàn as a surname but Dān elsewhere; either spelling may be typed.
  { a: 'Shan Li', b: '单丽', decision: 'review', reason: 'pinyin-input' },
  { a: 'Dan Li', b: '单丽', decision: 'review', reason: 'pinyin-input' },
  // Typed pinyin that a split would guess wrong ("xian" is one syllable to a keyboard) still matches 西安.
  { a: 'xian', b: '西安', decision: 'review', reason: 'pinyin-input' },
  // Yi names transliterated into Han characters by whoever registered them: 依/衣/伊 are all yī.
  { a: '阿依莫', b: '阿衣莫', decision: 'review', reason: 'homophone' },
  { a: '阿依莫', b: '阿伊莫', decision: 'review', reason: 'homophone' },
  { a: '阿衣莫', b: '阿伊莫', decision: 'review', reason: 'homophone' },
  // 沙/莎 shā, 马/玛 mǎ, and 呷 read gā in Yi names (pinyin-pro knows the reading), so 呷/嘎 are homophones too.
  { a: '沙马阿呷', b: '莎玛阿嘎', decision: 'review', reason: 'homophone' },
  { a: '吉克阿依', b: '吉克阿伊', decision: 'review', reason: 'homophone' },
  // Yunnan Mandarin does not separate ch/c, n/l or -ng/-n: heard and written across the line.
  { a: '陈丽', b: '岑丽', decision: 'review', reason: 'near-homophone' },
  { a: '牛玉兰', b: '刘玉兰', decision: 'review', reason: 'near-homophone' },
  { a: '李金花', b: '李晶花', decision: 'review', reason: 'near-homophone' },
  { a: '张秀英', b: '赞秀英', decision: 'review', reason: 'near-homophone' },
  // ü typed as u: 吕 lǚ written "Lu" (as on older passports).
  { a: 'Lu Mei', b: '吕梅', decision: 'review', reason: 'near-homophone' },
  // One wrong character — an ordinary typo, or (for the same birth date) a twin: a person must decide.
  { a: '张丽华', b: '张丽平', decision: 'review', reason: 'one-character-differs' },
  { a: '普秀英', b: '普秀芳', decision: 'review', reason: 'one-character-differs' },
  { a: '李梅', b: '李芳', decision: 'review', reason: 'one-character-differs' },
  { a: '李梅', b: '季梅', decision: 'review', reason: 'one-character-differs' },
  { a: '沙马阿呷', b: '沙马阿依', decision: 'review', reason: 'one-character-differs' },
  // A character dropped (a middle character, or the Yi prefix 阿) — one slip.
  { a: '张小梅', b: '张梅', decision: 'review', reason: 'one-character-missing' },
  { a: '阿依莫', b: '依莫', decision: 'review', reason: 'one-character-missing' },
  // A typed spelling one letter off: likely a slip on the keyboard.
  { a: 'Limeii', b: '李梅', decision: 'review', reason: 'spelling-differs' },
  // Different people who happen to share a birthday: nothing in the names agrees.
  { a: '李梅', b: '王芳', decision: 'no-match', reason: 'several-characters-differ' },
  { a: '张丽华', b: '刘建国', decision: 'no-match' },
  // Same given name, different clan names (two characters differ outright): two Yi families, not a typo.
  { a: '吉克阿依', b: '沙马阿依', decision: 'no-match', reason: 'several-characters-differ' },
  // Two characters differ in a three-character name: more than one slip.
  { a: '李秀英', b: '李建国', decision: 'no-match', reason: 'several-characters-differ' },
  // Surname-last Latin order is not recognised: a known limit, not a silent match.
  { a: 'Mei Li', b: '李梅', decision: 'no-match' },
  // A foreign spelling far from the name.
  { a: 'Smith', b: '李梅', decision: 'no-match' },
];

describe('normalizeName', () => {
  it('trims, applies NFKC, drops spaces and middle dots, lowercases and folds traditional to simplified', () => {
    expect(normalizeName('  陳 阿依·莫 ')).toBe('陈阿依莫');
    expect(normalizeName('阿依•莫')).toBe('阿依莫');
    expect(normalizeName('阿依・莫')).toBe('阿依莫');
    expect(normalizeName('ＬＩ　ＭＥＩ')).toBe('limei');
    expect(normalizeName('劉德華')).toBe('刘德华');
    expect(normalizeName("Xi'an")).toBe('xian');
    expect(normalizeName('李\u200B梅')).toBe('李梅');
  });

  it('writes ü as v before dropping tone marks', () => {
    expect(normalizeName('Lǚ Méi')).toBe('lvmei');
    expect(normalizeName('LÜ')).toBe('lv');
  });

  it('leaves a name with nothing in it empty', () => {
    expect(normalizeName(' · ')).toBe('');
  });
});

describe('namePhonetics', () => {
  it('gives toneless pinyin per character, surname reading first', () => {
    expect(namePhonetics('李梅')).toEqual(['li', 'mei']);
    expect(namePhonetics('單田芳')).toEqual(['shan', 'tian', 'fang']);
    expect(namePhonetics('曾小贤')).toEqual(['zeng', 'xiao', 'xian']);
    expect(namePhonetics('沙马阿呷')).toEqual(['sha', 'ma', 'a', 'xia']);
  });

  it('gives the letters of a Latin-typed name without spaces', () => {
    expect(namePhonetics('Li Mei')).toEqual(['limei']);
    expect(namePhonetics('LI MEI')).toEqual(['limei']);
    expect(namePhonetics('')).toEqual([]);
  });

  it('keeps characters it has no reading for', () => {
    expect(namePhonetics('李ꆈ')).toEqual(['li', 'ꆈ']);
  });

  it('spells common surnames, including Yi surnames of Chuxiong, so that typing them is recognised', () => {
    const surnames =
      '李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文普起者鲁施自毕沙吉曲';
    for (const surname of surnames) {
      const typed = [...namePhonetics(`${surname}秀英`)].join(' ');
      expect({ surname, comparison: compareNames(typed, `${surname}秀英`) }).toEqual({
        surname,
        comparison: { score: 0.9, reasons: ['pinyin-input'] },
      });
    }
  });
});

describe('compareNames', () => {
  it.each(FIXTURES.filter((f) => f.reason !== undefined))('$a / $b: $reason', ({ a, b, reason }) => {
    expect(compareNames(a, b).reasons).toContain(reason);
  });

  it('scores identical names 1, and nothing 0', () => {
    expect(compareNames('李梅', '李梅')).toEqual({ score: 1, reasons: ['exact'] });
    expect(compareNames('', '李梅')).toEqual({ score: 0, reasons: [] });
  });

  it('ranks evidence: exact > traditional > homophone > pinyin input > near homophone > one character differs', () => {
    const scores = [
      compareNames('李梅', '李梅'),
      compareNames('陳梅', '陈梅'),
      compareNames('张梅', '章梅'),
      compareNames('Zhang Mei', '张梅'),
      compareNames('陈梅', '岑梅'),
      compareNames('李梅', '李芳'),
    ].map((comparison) => comparison.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    expect(new Set(scores).size).toBe(scores.length);
  });

  it('weighs one differing character less in a longer name', () => {
    expect(compareNames('李梅', '李芳').score).toBe(0.5);
    expect(compareNames('张丽华', '张丽平').score).toBeCloseTo(0.667, 3);
    expect(compareNames('沙马阿呷', '沙马阿依').score).toBe(0.75);
  });

  it('holds names with two outright differences below the review floor, whatever their length', () => {
    expect(compareNames('吉克阿依莫', '沙马阿依莫').score).toBeLessThan(NAME_REVIEW_FLOOR);
    expect(compareNames('李梅', '梅李').score).toBeLessThan(NAME_REVIEW_FLOOR);
  });

  it('is symmetric and stays within 0..1 (property)', () => {
    fc.assert(
      fc.property(nameArbitrary, nameArbitrary, (a, b) => {
        const ab = compareNames(a, b);
        const ba = compareNames(b, a);
        expect(ab.score).toBe(ba.score);
        expect([...ab.reasons].sort()).toEqual([...ba.reasons].sort());
        expect(ab.score).toBeGreaterThanOrEqual(0);
        expect(ab.score).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('candidateScore', () => {
  it.each(FIXTURES)('$a / $b with the same birth date and sex: $decision', ({ a, b, decision }) => {
    expect(candidateScore(sameDayPair(a, b)).decision).toBe(decision);
  });

  it('never answers merge, even for identical records', () => {
    const identical = candidateScore({ ...sameDayPair('李梅', '李梅'), phoneA: '13800000000', phoneB: '13800000000' });
    expect(identical).toEqual({
      score: 1,
      reasons: ['exact', 'birth-date-equal', 'same-sex', 'same-phone'],
      decision: 'review',
    });
  });

  it('does not pair the same name ten years apart with a different sex', () => {
    for (const birthDateB of ['2005-03-08', '1985-03-08']) {
      // 1985 vs 1995 differs in one digit, so this also checks that a one-digit slip does not outweigh the sex.
      const assessment = candidateScore({ ...sameDayPair('李梅', '李梅'), birthDateB, sexB: 'male' });
      expect(assessment.decision).toBe('no-match');
    }
    const withPhone = candidateScore({
      ...sameDayPair('李梅', '李梅'),
      birthDateB: '1985-03-08',
      sexB: 'male',
      phoneA: '13800000000',
      phoneB: '13800000000',
    });
    expect(withPhone.decision).toBe('no-match');
  });

  it('does not pair different names on the same birthday', () => {
    expect(candidateScore(sameDayPair('李梅', '王芳'))).toMatchObject({ score: 0, decision: 'no-match' });
  });

  it.each([
    ['1995-08-03', 'birth-date-day-month-transposed'],
    ['1995-03-09', 'birth-date-one-digit-differs'],
    ['1985-03-08', 'birth-date-one-digit-differs'],
    ['1959-03-08', 'birth-date-adjacent-digits-swapped'],
    ['1995-03-18', 'birth-date-one-digit-differs'],
  ])('reviews the same name with birth date %s (%s)', (birthDateB, reason) => {
    const assessment = candidateScore({ ...sameDayPair('李梅', '李梅'), birthDateB });
    expect(assessment.reasons).toContain(reason);
    expect(assessment.decision).toBe('review');
  });

  it.each(['1995-04-09', '1996-03-09', '2001-01-01'])('does not review the same name born %s', (birthDateB) => {
    const assessment = candidateScore({ ...sameDayPair('李梅', '李梅'), birthDateB });
    expect(assessment.reasons).toContain('birth-date-differs');
    expect(assessment.decision).toBe('no-match');
  });

  it('reviews an equal name and birth date with the sex keyed wrongly, at a lower score', () => {
    const assessment = candidateScore({ ...sameDayPair('李梅', '李梅'), sexB: 'male' });
    expect(assessment).toMatchObject({ decision: 'review', reasons: ['exact', 'birth-date-equal', 'sex-differs'] });
    expect(assessment.score).toBeLessThan(candidateScore(sameDayPair('李梅', '李梅')).score);
  });

  it('does not let a weak name survive two other weak signals', () => {
    // One character differs in a two-character name: reviewed only if birth date and sex agree exactly.
    expect(candidateScore(sameDayPair('李梅', '李芳')).decision).toBe('review');
    expect(candidateScore({ ...sameDayPair('李梅', '李芳'), sexB: 'male' }).decision).toBe('no-match');
    expect(candidateScore({ ...sameDayPair('李梅', '李芳'), birthDateB: '1995-08-03' }).decision).toBe('no-match');
  });

  it('treats an unknown sex as weak evidence, not as a contradiction', () => {
    const assessment = candidateScore({ ...sameDayPair('张丽华', '张丽平'), sexB: 'unknown' });
    expect(assessment.reasons).toContain('sex-unknown');
    expect(assessment.decision).toBe('review');
  });

  it('compares phone numbers without country prefix or punctuation', () => {
    const plain = candidateScore(sameDayPair('张丽', '章丽'));
    const samePhone = candidateScore({
      ...sameDayPair('张丽', '章丽'),
      phoneA: '+86 138-0000-0000',
      phoneB: '13800000000',
    });
    expect(samePhone.reasons).toContain('same-phone');
    expect(samePhone.score).toBeCloseTo(plain.score + 0.05, 3);
    const otherPhone = candidateScore({ ...sameDayPair('张丽', '章丽'), phoneA: '13800000000', phoneB: '13900000000' });
    expect(otherPhone.score).toBe(plain.score);
  });

  it('names a malformed birth date as a field', () => {
    try {
      candidateScore({ ...sameDayPair('李梅', '李梅'), birthDateB: '1995-02-30' });
      throw new Error('expected an InvalidArgumentError');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).violations[0]?.field).toBe('birthDateB');
    }
  });

  it('exposes thresholds that the decisions above are built on', () => {
    expect(NAME_REVIEW_FLOOR).toBe(0.5);
    expect(CANDIDATE_REVIEW_THRESHOLD).toBe(0.5);
  });
});

describe('blockingKeys', () => {
  it('is a small set of strings that carries the birth date', () => {
    const keys = blockingKeys('沙马阿呷', BIRTH_DATE);
    expect(keys.length).toBeLessThanOrEqual(12);
    expect(keys).toContain('name:shamaaxia:1995');
    expect(keys).toContain('name:shamaaxia:0308');
    expect(keys).toContain('first:sa:19950308');
    for (const key of keys) expect(key).toMatch(/:(1995|0308|19950308)$/);
  });

  it('has no keys for an empty name, and rejects a malformed date', () => {
    expect(blockingKeys(' ', BIRTH_DATE)).toEqual([]);
    expect(() => blockingKeys('李梅', '1995-3-8')).toThrow(InvalidArgumentError);
  });

  it.each(FIXTURES.filter((f) => f.decision === 'review'))(
    'brings $a and $b together on the same birth date',
    ({ a, b }) => {
      expect(sharesBlockingKey(a, b)).toBe(true);
    },
  );

  it('finds the same name when the day and month were swapped or one digit of the year slipped', () => {
    const registered = new Set(blockingKeys('李梅', '1995-03-08'));
    for (const slipped of ['1995-08-03', '1995-03-09', '1985-03-08']) {
      expect(blockingKeys('李玫', slipped).some((key) => registered.has(key))).toBe(true);
    }
  });

  it('keeps different people with different birthdays apart', () => {
    const registered = new Set(blockingKeys('李梅', '1995-03-08'));
    expect(blockingKeys('王芳', '1990-01-01').some((key) => registered.has(key))).toBe(false);
    expect(blockingKeys('王芳', '1995-03-08').some((key) => registered.has(key))).toBe(false);
  });

  it('brings together every pair that compareNames would send to review (property)', () => {
    let reviewable = 0;
    fc.assert(
      fc.property(nameArbitrary, nameArbitrary, (a, b) => {
        if (compareNames(a, b).score < NAME_REVIEW_FLOOR) return;
        reviewable += 1;
        expect(sharesBlockingKey(a, b)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
    // The generator is built from confusable characters so that the implication is exercised, not vacuous.
    expect(reviewable).toBeGreaterThan(50);
  });

  it('brings together a name and its mutations whenever they are reviewable (property)', () => {
    let reviewable = 0;
    fc.assert(
      fc.property(nameArbitrary, mutationArbitrary, (name, mutate) => {
        const mutated = mutate(name);
        if (compareNames(name, mutated).score < NAME_REVIEW_FLOOR) return;
        reviewable += 1;
        expect(sharesBlockingKey(name, mutated)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(reviewable).toBeGreaterThan(1000);
  });
});

// Generators drawn from characters that are confusable with each other (homophones, near homophones, traditional
// forms, polyphonic surnames), so that random pairs often land near the review floor where the property matters.
const CONFUSABLE = [
  ...'李梅玫莉丽黎季沙莎马玛阿依衣伊莫嫫木呷嘎夏陈陳岑张章赞刘劉牛兰蘭金晶单丹善乐曾吕鲁秀英芳方王汪',
];
const LATIN_SYLLABLES = [
  'li',
  'mei',
  'sha',
  'ma',
  'a',
  'yi',
  'mo',
  'ga',
  'xia',
  'chen',
  'cen',
  'zhang',
  'liu',
  'niu',
  'lan',
  'jin',
  'jing',
  'shan',
  'dan',
  'lv',
  'lu',
  'xiu',
  'ying',
  'fang',
  'wang',
  'xi',
  'an',
];

const hanNameArbitrary = fc
  .array(fc.constantFrom(...CONFUSABLE), { minLength: 1, maxLength: 4 })
  .map((chars) => chars.join(''));
const latinNameArbitrary = fc
  .tuple(
    fc.array(fc.constantFrom(...LATIN_SYLLABLES), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('', ' '),
    fc.boolean(),
  )
  .map(([syllables, separator, upper]) => {
    const typed = syllables.join(separator);
    return upper ? typed.toUpperCase() : typed;
  });
const foreignNameArbitrary = fc.constantFrom('smith', 'smyth', 'limeii', 'shamaa', 'xxmei', 'meili');
const nameArbitrary = fc.oneof(
  { weight: 6, arbitrary: hanNameArbitrary },
  { weight: 3, arbitrary: latinNameArbitrary },
  { weight: 1, arbitrary: foreignNameArbitrary },
);

type Mutation = (name: string) => string;
const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  // Replace one character with a confusable one.
  fc.tuple(fc.nat(), fc.constantFrom(...CONFUSABLE)).map(([at, replacement]): Mutation => (name) => {
    const chars = [...name];
    chars[at % chars.length] = replacement;
    return chars.join('');
  }),
  // Drop one character.
  fc.nat().map((at): Mutation => (name) => {
    const chars = [...name];
    chars.splice(at % chars.length, 1);
    return chars.join('');
  }),
  // Insert one character.
  fc.tuple(fc.nat(), fc.constantFrom(...CONFUSABLE)).map(([at, inserted]): Mutation => (name) => {
    const chars = [...name];
    chars.splice(at % (chars.length + 1), 0, inserted);
    return chars.join('');
  }),
  // Retype in pinyin, with or without spaces.
  fc.constantFrom<Mutation>(
    (name) => namePhonetics(name).join(' '),
    (name) => namePhonetics(name).join(''),
  ),
);
