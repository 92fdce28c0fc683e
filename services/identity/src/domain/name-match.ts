// Fuzzy person-name comparison for MPI candidate generation: normalisation, phonetic forms, pair scores and the
// blocking keys a repository indexes to find candidates. It proposes pairs for human review; it never merges.
import { Converter } from 'opencc-js';
import { pinyin, polyphonic } from 'pinyin-pro';
import { InvalidArgumentError } from '../../../common/src/errors';
import { Sex, parseIsoDate } from './resident-id';

export type NameMatchReason =
  | 'exact'
  | 'traditional-simplified'
  | 'homophone'
  | 'pinyin-input'
  | 'near-homophone'
  | 'one-character-differs'
  | 'one-character-missing'
  | 'several-characters-differ'
  | 'spelling-differs';

export interface NameComparison {
  /** 0 (nothing alike) … 1 (identical after normalisation). */
  readonly score: number;
  readonly reasons: readonly NameMatchReason[];
}

export type BirthDateReason =
  | 'birth-date-equal'
  | 'birth-date-day-month-transposed'
  | 'birth-date-one-digit-differs'
  | 'birth-date-adjacent-digits-swapped'
  | 'birth-date-differs';
export type SexReason = 'same-sex' | 'sex-differs' | 'sex-unknown';
export type CandidateReason = NameMatchReason | BirthDateReason | SexReason | 'same-phone';

export interface CandidateInput {
  readonly nameA: string;
  readonly nameB: string;
  /** YYYY-MM-DD. */
  readonly birthDateA: string;
  readonly birthDateB: string;
  readonly sexA: Sex | 'unknown';
  readonly sexB: Sex | 'unknown';
  readonly phoneA?: string;
  readonly phoneB?: string;
}

export interface CandidateAssessment {
  readonly score: number;
  readonly reasons: readonly CandidateReason[];
  /** There is deliberately no 'merge': a person decides. */
  readonly decision: 'review' | 'no-match';
}

// ---------------------------------------------------------------------------------------------------------------
// Scores. Per-character costs are subtracted from 1 in proportion to the name's length, so one differing character
// weighs more in a two-character Han name than in a four-character Yi name.

/** Same character after traditional→simplified folding (陳/陈): the same written name. */
const VARIANT_COST = 0.02;
/** Same toneless reading (张/章, 依/衣/伊), or a Latin syllable typed for the character: what a clerk hears. */
const HOMOPHONE_COST = 0.1;
/** Same reading once Yunnan Mandarin's lost distinctions are folded (zh/z, ch/c, sh/s, n/l, -ng/-n). */
const NEAR_HOMOPHONE_COST = 0.3;
/** Readings one letter apart (mo/mu): still a different character, but a likelier slip than an unrelated one. */
const CLOSE_SOUND_COST = 0.6;
const DIFFERENT_COST = 1;
const TRADITIONAL_SIMPLIFIED_SCORE = 1 - VARIANT_COST;
const PINYIN_INPUT_SCORE = 1 - HOMOPHONE_COST;
/** A Latin spelling one letter off a name of at least MIN_LETTERS_FOR_SPELLING letters. */
const SPELLING_SCORE = 0.7;
const MIN_LETTERS_FOR_SPELLING = 4;
/**
 * Where two or more characters differ outright the score is held under the review floor: "one wrong character" is
 * the typo the queue is for, and blocking keys are only guaranteed to bring together names that differ that little.
 */
const SEVERAL_DIFFER_CAP = 0.45;

/** A name pair scoring below this is never reviewed, however well birth date and sex agree. */
export const NAME_REVIEW_FLOOR = 0.5;
/** A candidate pair is sent to review at or above this combined score (and with the name at or above the floor). */
export const CANDIDATE_REVIEW_THRESHOLD = 0.5;

/** Factors the name score is multiplied by. A date that shares nothing with the other is no evidence: no match. */
const BIRTH_DATE_FACTORS: Readonly<Record<BirthDateReason, number>> = {
  'birth-date-equal': 1,
  'birth-date-day-month-transposed': 0.85,
  'birth-date-one-digit-differs': 0.7,
  'birth-date-adjacent-digits-swapped': 0.7,
  'birth-date-differs': 0,
};
/** Sex is miskeyed less often than a name, but it is miskeyed (and often blank on a newborn's first record). */
const SEX_FACTORS: Readonly<Record<SexReason, number>> = { 'same-sex': 1, 'sex-unknown': 0.9, 'sex-differs': 0.6 };
/** Small on purpose: families share one phone, so an equal number hints but must not carry a pair alone. */
const SAME_PHONE_BONUS = 0.05;

// ---------------------------------------------------------------------------------------------------------------
// Building the converter and the pinyin dictionaries is slow: once per process, not per call.

const toSimplified = Converter({ from: 't', to: 'cn' });
const readingsCache = new Map<string, readonly string[]>();

/**
 * Toneless pinyin syllables (ü written v) that a Latin-typed name is split into: every reading pinyin-pro gives
 * for U+4E00–U+9FA5, minus the consonant-only interjections (m, n, ng, hng) that no name contains, plus lue/nue,
 * the common keyboard spelling of lüe/nüe.
 */
const LATIN_SYLLABLES: ReadonlySet<string> = new Set(
  `a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng
  cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu
  cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo
  e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan
  guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian
  jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan
  kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan
  lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao
  ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nuo nv nve o ou pa pai pan pang pao pei pen
  peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang
  rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she
  shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan
  tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi
  xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan
  yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua
  zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo lue nue`.split(/\s+/),
);
const LONGEST_SYLLABLE = 6;

/**
 * Spaces, middle dots (阿依·莫, and the look-alikes people type for them), the punctuation of typed pinyin, and the
 * zero-width characters that pasting from documents leaves behind.
 */
const SEPARATORS = /[\s\u200B-\u200D\uFEFF\u00B7\u0387\u2022\u2027\u2219\u22C5\u30FB.\-'\u2019_]+/u;
const HAN = /^\p{Script=Han}$/u;
const LATIN_LETTER = /^[a-z]$/;

// ---------------------------------------------------------------------------------------------------------------
// Normalisation and analysis

/**
 * The form names are compared in: NFKC, trimmed, separators removed, lowercase, tone marks stripped (ü → v), and
 * traditional characters folded to simplified. `陳 阿依·莫` → `陈阿依莫`, `LǙ Mei` → `lvmei`.
 */
export function normalizeName(raw: string): string {
  return nameChunks(raw).map(toSimplified).join('');
}

/**
 * Toneless pinyin, one syllable per Han character in the most likely reading (surname reading for the first
 * character: 单 → shan). A name typed in Latin letters gives a single element, its letters without spaces.
 * `namePhonetics(x).join('')` is the letter string compared and indexed.
 */
export function namePhonetics(name: string): string[] {
  const analysed = analyse(name);
  if (analysed.latinOnly) return analysed.letters === '' ? [] : [analysed.letters];
  return analysed.tokens.map((token) => token.primary);
}

interface NameToken {
  /** As typed, after NFKC and case folding but before traditional→simplified folding. */
  readonly written: string;
  /** After folding; for Latin, the syllable. */
  readonly folded: string;
  readonly script: 'han' | 'latin' | 'other';
  /**
   * Every toneless reading of the character, whatever its context, so that two names holding the same character
   * always share its readings (and its blocking keys). Empty when unknown: rare characters, other scripts, non-pinyin Latin.
   */
  readonly readings: readonly string[];
  /** The reading in context (单 at the head of a name is shan), else the text: what the letter string is made of. */
  readonly primary: string;
}

interface AnalysedName {
  /** `normalizeName` of the input. */
  readonly normalized: string;
  /** The same without traditional→simplified folding: equal `written` means 'exact', not just equal `normalized`. */
  readonly written: string;
  readonly tokens: readonly NameToken[];
  /** Primary readings (or text) joined: the letter string of keys and of the letter-level fallback. */
  readonly letters: string;
  readonly latinOnly: boolean;
  readonly hanOnly: boolean;
  /** A run of Latin letters that is not a sequence of pinyin syllables ("Smith", "Limeii"). */
  readonly hasForeignLatin: boolean;
}

function nameChunks(raw: string): string[] {
  const prepared = raw
    .normalize('NFKC')
    .toLowerCase()
    // Typed pinyin writes ü as v; do it before tone marks go, or ǚ would become a plain u.
    .replace(/[üǖǘǚǜ]/g, 'v')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC');
  return prepared.split(SEPARATORS).filter((chunk) => chunk !== '');
}

function analyse(raw: string): AnalysedName {
  const chunks = nameChunks(raw);
  const foldedChunks = chunks.map(toSimplified);
  const normalized = foldedChunks.join('');
  const contextual = contextualReadings(normalized);

  const tokens: NameToken[] = [];
  let hasForeignLatin = false;
  let offset = 0;
  chunks.forEach((chunk, chunkIndex) => {
    const folded = [...(foldedChunks[chunkIndex] as string)];
    const written = [...chunk];
    // Folding is character for character in practice; if a phrase rule ever changed the length, align on the folded form.
    const writtenAligned = written.length === folded.length ? written : folded;
    let latinRun = '';
    const flushLatin = (): void => {
      if (latinRun === '') return;
      const syllables = segmentPinyin(latinRun);
      if (syllables === undefined) {
        hasForeignLatin = true;
        tokens.push({ written: latinRun, folded: latinRun, script: 'latin', readings: [], primary: latinRun });
      } else {
        for (const syllable of syllables) {
          tokens.push({
            written: syllable,
            folded: syllable,
            script: 'latin',
            readings: [syllable],
            primary: syllable,
          });
        }
      }
      latinRun = '';
    };
    folded.forEach((character, i) => {
      if (LATIN_LETTER.test(character)) {
        latinRun += character;
        return;
      }
      flushLatin();
      const writtenCharacter = writtenAligned[i] as string;
      if (HAN.test(character)) {
        const readings = hanReadings(character);
        const primary = contextual[offset + i] ?? readings[0] ?? character;
        tokens.push({ written: writtenCharacter, folded: character, script: 'han', readings, primary });
      } else {
        tokens.push({
          written: writtenCharacter,
          folded: character,
          script: 'other',
          readings: [],
          primary: character,
        });
      }
    });
    flushLatin();
    offset += folded.length;
  });

  return {
    normalized,
    written: chunks.join(''),
    tokens,
    letters: tokens.map((token) => token.primary).join(''),
    latinOnly: tokens.length > 0 && tokens.every((token) => token.script === 'latin'),
    hanOnly: tokens.length > 0 && tokens.every((token) => token.script === 'han' && token.readings.length > 0),
    hasForeignLatin,
  };
}

/** Readings in context, one per code point; the surname table applies to the first character. */
function contextualReadings(normalized: string): (string | undefined)[] {
  if (normalized === '') return [];
  return pinyin(normalized, { toneType: 'none', type: 'all', v: true, mode: 'surname', surname: 'head' }).map((item) =>
    item.isZh && /^[a-z]+$/.test(item.pinyin) ? item.pinyin : undefined,
  );
}

/** All readings pinyin-pro knows for the character, most common first: a clerk may have heard any of them. */
function hanReadings(character: string): readonly string[] {
  let readings = readingsCache.get(character);
  if (readings === undefined) {
    readings = (polyphonic(character, { toneType: 'none', type: 'array', v: true })[0] ?? []).filter((reading) =>
      /^[a-z]+$/.test(reading),
    );
    readingsCache.set(character, readings);
  }
  return readings;
}

/**
 * Splits Latin letters into pinyin syllables: fewest syllables, and on a tie the longer first syllable ("xian" is
 * one syllable, "fangan" is fang·an), which is what pinyin keyboards do. Undefined if no split exists.
 */
function segmentPinyin(letters: string): string[] | undefined {
  const n = letters.length;
  const best: (number | undefined)[] = new Array<number | undefined>(n + 1).fill(undefined);
  const next: number[] = new Array<number>(n + 1).fill(n);
  best[n] = 0;
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let length = Math.min(LONGEST_SYLLABLE, n - i); length >= 1; length -= 1) {
      const rest = best[i + length];
      if (rest === undefined || !LATIN_SYLLABLES.has(letters.slice(i, i + length))) continue;
      const current = best[i];
      if (current === undefined || rest + 1 < current) {
        best[i] = rest + 1;
        next[i] = i + length;
      }
    }
  }
  if (best[0] === undefined) return undefined;
  const syllables: string[] = [];
  for (let i = 0; i < n; i = next[i] as number) syllables.push(letters.slice(i, next[i]));
  return syllables;
}

/** Every syllable that can open, and every one that can close, some complete split of `letters`. */
function boundarySyllables(letters: string): { first: string[]; last: string[] } {
  const n = letters.length;
  const fromStart = new Array<boolean>(n + 1).fill(false);
  const toEnd = new Array<boolean>(n + 1).fill(false);
  fromStart[0] = true;
  toEnd[n] = true;
  for (let i = 0; i < n; i += 1) {
    if (!fromStart[i]) continue;
    for (let length = 1; length <= LONGEST_SYLLABLE && i + length <= n; length += 1) {
      if (LATIN_SYLLABLES.has(letters.slice(i, i + length))) fromStart[i + length] = true;
    }
  }
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let length = 1; length <= LONGEST_SYLLABLE && i + length <= n; length += 1) {
      if (toEnd[i + length] && LATIN_SYLLABLES.has(letters.slice(i, i + length))) toEnd[i] = true;
    }
  }
  const first: string[] = [];
  const last: string[] = [];
  for (let length = 1; length <= LONGEST_SYLLABLE && length <= n; length += 1) {
    const head = letters.slice(0, length);
    if (LATIN_SYLLABLES.has(head) && toEnd[length]) first.push(head);
    const tail = letters.slice(n - length);
    if (LATIN_SYLLABLES.has(tail) && fromStart[n - length]) last.push(tail);
  }
  return { first, last };
}

/**
 * The sound class of a syllable in Yunnan Mandarin (西南官话), which does not distinguish zh/z, ch/c, sh/s or n/l,
 * nor -ng from -n; clerks write names as they hear them. ü (v) is folded to u because typed names drop the dots.
 */
function soundClass(syllable: string): string {
  return syllable
    .replace(/v/g, 'u')
    .replace(/^([zcs])h/, '$1')
    .replace(/^n(?!g)/, 'l')
    .replace(/ng$/, 'n');
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** How similar two person names are, and why. Symmetric. */
export function compareNames(a: string, b: string): NameComparison {
  const x = analyse(a);
  const y = analyse(b);
  if (x.normalized === '' || y.normalized === '') return { score: 0, reasons: [] };
  if (x.written === y.written) return { score: 1, reasons: ['exact'] };
  if (x.normalized === y.normalized)
    return { score: TRADITIONAL_SIMPLIFIED_SCORE, reasons: ['traditional-simplified'] };
  if (x.hasForeignLatin || y.hasForeignLatin) return compareLetters(x, y);
  if (
    (x.latinOnly && y.hanOnly && isTypedPinyinOf(x.letters, y.tokens)) ||
    (y.latinOnly && x.hanOnly && isTypedPinyinOf(y.letters, x.tokens))
  ) {
    return { score: PINYIN_INPUT_SCORE, reasons: ['pinyin-input'] };
  }
  return compareTokens(x.tokens, y.tokens);
}

/**
 * Whether the letters are exactly one reading per character, in order. Checked on the letters, not on a split of
 * them, because a split has to guess ("xian" is 鲜 or 西安).
 */
function isTypedPinyinOf(letters: string, hanTokens: readonly NameToken[]): boolean {
  let ends = new Set<number>([0]);
  for (const token of hanTokens) {
    const nextEnds = new Set<number>();
    for (const end of ends) {
      for (const reading of token.readings) {
        // Only readings a Latin split can produce, so the blocking keys of both spellings meet.
        if (LATIN_SYLLABLES.has(reading) && letters.startsWith(reading, end)) nextEnds.add(end + reading.length);
      }
    }
    ends = nextEnds;
    if (ends.size === 0) return false;
  }
  return ends.has(letters.length);
}

type Alignment = 'same' | 'variant' | 'homophone' | 'typed' | 'near' | 'close' | 'different' | 'missing';

const ALIGNMENT_COST: Readonly<Record<Alignment, number>> = {
  same: 0,
  variant: VARIANT_COST,
  homophone: HOMOPHONE_COST,
  typed: HOMOPHONE_COST,
  near: NEAR_HOMOPHONE_COST,
  close: CLOSE_SOUND_COST,
  different: DIFFERENT_COST,
  missing: DIFFERENT_COST,
};

/** Alignments that count as the character differing; more than one and the name is not a candidate. */
const OUTRIGHT: ReadonlySet<Alignment> = new Set<Alignment>(['close', 'different', 'missing']);

function alignTokens(s: NameToken, t: NameToken): Alignment {
  if (s.folded === t.folded) return s.written === t.written ? 'same' : 'variant';
  if (s.readings.length === 0 || t.readings.length === 0) return 'different';
  if (s.readings.some((reading) => t.readings.includes(reading))) return s.script === t.script ? 'homophone' : 'typed';
  const classesOfT = new Set(t.readings.map(soundClass));
  if (s.readings.some((reading) => classesOfT.has(soundClass(reading)))) return 'near';
  if (s.readings.some((r) => t.readings.some((q) => editDistance(r, q) <= 1))) return 'close';
  return 'different';
}

/** Weighted edit distance over characters (or typed syllables), then the reasons read off the cheapest alignment. */
function compareTokens(xs: readonly NameToken[], ys: readonly NameToken[]): NameComparison {
  interface Cell {
    readonly cost: number;
    /** How this cell was reached: both advance (aligned), or only one side (a character missing from the other). */
    readonly move: 'both' | 'x' | 'y';
    readonly alignment: Alignment;
  }
  const table: Cell[][] = [];
  const cell = (i: number, j: number): Cell => (table[i] as Cell[])[j] as Cell;
  for (let i = 0; i <= xs.length; i += 1) {
    const row: Cell[] = [];
    table.push(row);
    for (let j = 0; j <= ys.length; j += 1) {
      if (i === 0 && j === 0) {
        row.push({ cost: 0, move: 'both', alignment: 'same' });
        continue;
      }
      const options: Cell[] = [];
      if (i > 0 && j > 0) {
        const alignment = alignTokens(xs[i - 1] as NameToken, ys[j - 1] as NameToken);
        options.push({ cost: cell(i - 1, j - 1).cost + ALIGNMENT_COST[alignment], move: 'both', alignment });
      }
      if (i > 0) options.push({ cost: cell(i - 1, j).cost + ALIGNMENT_COST.missing, move: 'x', alignment: 'missing' });
      if (j > 0)
        options.push({ cost: (row[j - 1] as Cell).cost + ALIGNMENT_COST.missing, move: 'y', alignment: 'missing' });
      // Ties go to the first option, an alignment, so reasons name a differing character rather than a missing one.
      row.push(options.reduce((best, option) => (option.cost < best.cost ? option : best)));
    }
  }

  const used: Alignment[] = [];
  for (let i = xs.length, j = ys.length; i > 0 || j > 0;) {
    const { move, alignment } = cell(i, j);
    used.push(alignment);
    if (move !== 'y') i -= 1;
    if (move !== 'x') j -= 1;
  }

  const outright = used.filter((alignment) => OUTRIGHT.has(alignment));
  const reasons: NameMatchReason[] = [];
  if (used.includes('variant')) reasons.push('traditional-simplified');
  if (used.includes('homophone')) reasons.push('homophone');
  if (used.includes('typed')) reasons.push('pinyin-input');
  if (used.includes('near')) reasons.push('near-homophone');
  let score = Math.max(0, 1 - cell(xs.length, ys.length).cost / Math.max(xs.length, ys.length));
  if (outright.length > 1) {
    reasons.push('several-characters-differ');
    score = Math.min(score, SEVERAL_DIFFER_CAP);
  } else if (outright[0] === 'missing') {
    reasons.push('one-character-missing');
  } else if (outright.length === 1) {
    reasons.push('one-character-differs');
  }
  return { score: round(score), reasons };
}

/** For names with Latin that is not pinyin: compare the letter strings, allowing one slip in a long enough name. */
function compareLetters(x: AnalysedName, y: AnalysedName): NameComparison {
  const distance = editDistance(x.letters, y.letters);
  if (distance === 0) return { score: PINYIN_INPUT_SCORE, reasons: ['pinyin-input'] };
  if (distance === 1 && Math.min(x.letters.length, y.letters.length) >= MIN_LETTERS_FOR_SPELLING) {
    return { score: SPELLING_SCORE, reasons: ['spelling-differs'] };
  }
  const similarity = 1 - distance / Math.max(x.letters.length, y.letters.length);
  return { score: round(Math.min(SEVERAL_DIFFER_CAP, Math.max(0, similarity))), reasons: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Candidate pairs

/**
 * Combines name, birth date, sex and phone into a review decision: name score × birth-date factor × sex factor,
 * plus a small bonus for an equal phone. 'review' needs the name at or above NAME_REVIEW_FLOOR, a birth date that is
 * equal or one typing slip away, and the combined score at or above CANDIDATE_REVIEW_THRESHOLD.
 */
export function candidateScore(input: CandidateInput): CandidateAssessment {
  const name = compareNames(input.nameA, input.nameB);
  const dateReason = compareBirthDates(
    requireDate(input.birthDateA, 'birthDateA'),
    requireDate(input.birthDateB, 'birthDateB'),
  );
  const sexReason: SexReason =
    input.sexA === 'unknown' || input.sexB === 'unknown'
      ? 'sex-unknown'
      : input.sexA === input.sexB
        ? 'same-sex'
        : 'sex-differs';
  const samePhone = isSamePhone(input.phoneA, input.phoneB);

  const score = round(
    Math.min(
      1,
      name.score * BIRTH_DATE_FACTORS[dateReason] * SEX_FACTORS[sexReason] + (samePhone ? SAME_PHONE_BONUS : 0),
    ),
  );
  const reasons: CandidateReason[] = [...name.reasons, dateReason, sexReason];
  if (samePhone) reasons.push('same-phone');
  const review =
    name.score >= NAME_REVIEW_FLOOR && BIRTH_DATE_FACTORS[dateReason] > 0 && score >= CANDIDATE_REVIEW_THRESHOLD;
  return { score, reasons, decision: review ? 'review' : 'no-match' };
}

/** How two valid ISO dates relate, judged on the eight digits a clerk types (YYYYMMDD). */
function compareBirthDates(a: string, b: string): BirthDateReason {
  if (a === b) return 'birth-date-equal';
  const [yearA, monthA, dayA] = a.split('-');
  const [yearB, monthB, dayB] = b.split('-');
  if (yearA === yearB && monthA === dayB && dayA === monthB) return 'birth-date-day-month-transposed';
  const digitsA = a.replace(/-/g, '');
  const digitsB = b.replace(/-/g, '');
  const differing: number[] = [];
  for (let i = 0; i < digitsA.length; i += 1) if (digitsA[i] !== digitsB[i]) differing.push(i);
  if (differing.length === 1) return 'birth-date-one-digit-differs';
  const [first, second] = differing;
  if (
    differing.length === 2 &&
    first !== undefined &&
    second === first + 1 &&
    digitsA[first] === digitsB[second] &&
    digitsA[second] === digitsB[first]
  ) {
    return 'birth-date-adjacent-digits-swapped';
  }
  return 'birth-date-differs';
}

function isSamePhone(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = nationalPhoneNumber(a);
  return x.length >= 7 && x === nationalPhoneNumber(b);
}

/** Digits without the +86 / 0086 country prefix, so "+86 138-0000-0000" equals "13800000000". */
function nationalPhoneNumber(raw: string): string {
  const digits = raw.normalize('NFKC').replace(/\D/g, '');
  return digits.replace(/^(0086|86)(?=1\d{10}$)/, '');
}

// ---------------------------------------------------------------------------------------------------------------
// Blocking

/**
 * Keys a repository indexes so that finding candidates reads a few small blocks instead of everyone. Any two names
 * that compareNames scores at or above NAME_REVIEW_FLOOR share a key when their birth dates are equal:
 * - `name:<letters>:<year>` and `name:<letters>:<MMDD>` — the whole name spelled the same (exact, traditional,
 *   homophones in the primary reading); also reach a birth date with a slip in the day/month or in the year;
 * - `first:<sound class>:<date>` and `last:<sound class>:<date>` for every reading of the first and last character —
 *   with at most one character differing outright, the first or the last still agrees at least as a near homophone;
 * - `pre:<2 letters>:<date>` and `suf:<2 letters>:<date>` — for Latin that is not pinyin, where one letter may differ.
 * The keys spell the name: they are personal data, to be indexed, never logged.
 */
export function blockingKeys(name: string, birthDate: string): string[] {
  const date = requireDate(birthDate, 'birthDate');
  const analysed = analyse(name);
  if (analysed.normalized === '') return [];
  const compactDate = date.replace(/-/g, '');
  const { letters, tokens } = analysed;
  const keys = new Set<string>([
    `name:${letters}:${compactDate.slice(0, 4)}`,
    `name:${letters}:${compactDate.slice(4)}`,
  ]);

  const firstSounds = new Set(boundarySounds(tokens[0]));
  const lastSounds = new Set(boundarySounds(tokens[tokens.length - 1]));
  if (analysed.latinOnly && !analysed.hasForeignLatin) {
    // A typed name may be split differently from how the other spelling's characters divide it ("xian" / 西安).
    const boundaries = boundarySyllables(letters);
    for (const syllable of boundaries.first) firstSounds.add(soundClass(syllable));
    for (const syllable of boundaries.last) lastSounds.add(soundClass(syllable));
  }
  for (const sound of firstSounds) keys.add(`first:${sound}:${compactDate}`);
  for (const sound of lastSounds) keys.add(`last:${sound}:${compactDate}`);
  keys.add(`pre:${[...letters].slice(0, 2).join('')}:${compactDate}`);
  keys.add(`suf:${[...letters].slice(-2).join('')}:${compactDate}`);
  return [...keys].sort();
}

function boundarySounds(token: NameToken | undefined): string[] {
  if (token === undefined) return [];
  return token.readings.length > 0 ? token.readings.map(soundClass) : [token.folded];
}

// ---------------------------------------------------------------------------------------------------------------

function requireDate(raw: string, field: string): string {
  const date = parseIsoDate(raw);
  if (date === undefined) throw InvalidArgumentError.field(field, 'must be a calendar date YYYY-MM-DD');
  return date;
}

function editDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= t.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[t.length] as number;
}

/** Three decimals: what is shown is what was decided, without 0.49999… at a threshold. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
