// The statistics catalogue: every indicator the statistics answer with, its numerator, denominator, unit, how it
// is filed (county of residence, institution of care, month) and where its definition comes from. The national
// indicators follow the 2015 edition of the national MCH survey system (全国妇幼卫生调查制度, 国卫规划函〔2015〕392号
// 附件5), tables 卫统41 孕产妇保健和健康情况年报表 and 卫统42 7岁以下儿童保健和健康情况年报表; its reporting year runs
// 1 October – 30 September. `confirmed` only where the text of the formula was read in a source below; the others
// follow the usual reading of the tables and say so.

export type IndicatorUnit = '%' | '‰' | '‱' | 'per 100,000 live births' | '';

export interface IndicatorDefinition {
  readonly id: string;
  readonly titleZh: string;
  readonly numerator: string;
  readonly denominator: string;
  readonly unit: IndicatorUnit;
  /** Document and table; a URL where the formula was read. */
  readonly source: string;
  readonly confirmation: 'confirmed' | 'unconfirmed';
  /**
   * How facts are filed: 'month' under the month of the event counted (registration, delivery, birth, an item
   * falling overdue); 'reporting-year' under the first month (October) of the reporting year they describe.
   */
  readonly filed: 'month' | 'reporting-year';
}

const WS_SURVEY_2015 = '全国妇幼卫生调查制度 (2015, 国卫规划函〔2015〕392号 附件5)';
const T41 = `${WS_SURVEY_2015}, 卫统41 孕产妇保健和健康情况年报表`;
const T42 = `${WS_SURVEY_2015}, 卫统42 7岁以下儿童保健和健康情况年报表`;
/** 妇幼报表各种率的计算: the formulas of the maternal table's rates, each over 活产数. */
const RATES_PAGE = 'https://360docs.net/doc/ef7300975.html';
/** Reporting year 1 October – 30 September (卫计统41–46). */
const YEAR_PAGE = 'https://m.163wenku.com/p-5083906.html';
/** 儿童健康管理率 = 接受1次及以上随访的0~6岁儿童数 / 应管理的0~6岁儿童数. */
const CHILD_PAGE = 'https://m.daumloan.com/p-447148135.html';
/** 住院分娩率: 年内在乡镇卫生院及乡镇以上医疗保健机构分娩的人数与活产数之比, 百分率, 取自妇幼卫生年报. */
const HOSPITAL_DELIVERY_PAGE = 'https://twwiki.net/wiki/jekwz8k28o6r63z.html';
/** 孕产妇死亡率: 从妊娠开始到产后42天内, 因各种原因(除意外事故外)造成的孕产妇死亡数占同年活产数的比率; 5岁以下儿童死亡率: 一年内未满5岁儿童死亡人数与当年活产数之比. */
const MORTALITY_PAGE = 'https://www.tsu.tw/xiyi/94391.html';
/** 孕产妇死亡率 = 年内孕产妇死亡人数 / 年内活产数 × 1/10万 (a prefecture's analysis of its 孕产妇死亡报告卡). */
const MMR_FORMULA_PAGE = 'http://xiaoduweb.com/html/DirDu/2005/06/19/62/41/89.htm';
/** 婴儿死亡率: 一年内未满1岁儿童的死亡总数与当年活产婴儿出生总数之比, 以千分率表示. */
const IMR_PAGE = 'http://www.ctoth.com/dictionary/458516.html';
/** 新生儿死亡率 = 期内生后28日内新生儿死亡数 / 期内活产数 × 1000‰. */
const NMR_PAGE = 'http://empfolio.com/yiyao/wszg/nwf/fck/fdjh/2567254.html';
/** The national 孕产妇死亡报告卡 as printed: 分娩地点 1 省(地、市)级医院 2 区县级医院 3 街道(乡镇)卫生院 4 村接生室 5 家中 6 途中 7 其他. */
const MATERNAL_DEATH_CARD_PAGE = 'https://renrendoc.com/paper/338964605.html';

/** The platform's own operational indicators (DESIGN.md §2.6), kept with their earlier ids and meanings. */
const OPERATIONAL: readonly IndicatorDefinition[] = [
  {
    id: 'pregnancies_registered',
    titleZh: '建册孕妇数',
    numerator: 'pregnancies registered in the month',
    denominator: '(none: a count)',
    unit: '',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'early_registration',
    titleZh: '早孕建册',
    numerator: 'registered before 13+0 weeks',
    denominator: 'registered in the month',
    unit: '%',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'high_risk_cases_opened',
    titleZh: '高危专案管理',
    numerator: 'pregnancies registered in the month that entered high-risk case management',
    denominator: 'pregnancies registered in the month',
    unit: '%',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'anc_coverage',
    titleZh: '产前检查≥5次 (分娩)',
    numerator: 'deliveries with ≥ 5 antenatal visits',
    denominator: 'deliveries in the month',
    unit: '%',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'immunization_hepb1_on_time',
    titleZh: '乙肝疫苗首针及时接种',
    numerator: 'children born in the month with HepB dose 1 by day 1',
    denominator: 'children born in the month',
    unit: '%',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'postpartum_visit_coverage',
    titleZh: '产后访视及时',
    numerator:
      'deliveries in the month whose postpartum home visit was done within its window (by day 7 after discharge, or after delivery when no discharge is recorded)',
    denominator: 'deliveries in the month whose window has ended or that were visited',
    unit: '%',
    source: 'platform (DESIGN.md §2.6), schedule cn-bphs-postpartum',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'postpartum_42_day_check_coverage',
    titleZh: '产后42天检查及时',
    numerator: 'deliveries in the month with the 42-day check done on time (days 42–56)',
    denominator: 'deliveries in the month whose window has ended or that were checked',
    unit: '%',
    source: 'platform (DESIGN.md §2.6), schedule cn-bphs-postpartum',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'child_check_coverage',
    titleZh: '儿童健康检查及时',
    numerator: 'scheduled child health checks falling overdue in the month done on time',
    denominator: 'checks falling overdue in the month (one per child and check)',
    unit: '%',
    source: 'platform (DESIGN.md §2.6), schedule cn-bphs-child-health',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'place_of_delivery_unrecorded',
    titleZh: '分娩地点未记录',
    numerator:
      'women delivered (产妇) in the month whose delivery has no place recorded (recorded before the place was asked); they count as not in hospital',
    denominator: '(none: a count)',
    unit: '',
    source: 'platform (issue #23 §1)',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'immunization_coverage',
    titleZh: '免疫规划疫苗及时接种',
    numerator: 'programme doses falling overdue in the month given on time',
    denominator: 'doses falling overdue in the month (one per child and dose)',
    unit: '%',
    source: 'platform (DESIGN.md §2.6), schedule cn-nip',
    confirmation: 'confirmed',
    filed: 'month',
  },
];

/** 卫统41 and 卫统42 indicators the record can support today, by the 2015 edition's definitions. */
const NATIONAL: readonly IndicatorDefinition[] = [
  {
    id: 'live_births',
    titleZh: '活产数',
    numerator: 'live births of the deliveries in the period (twins count two)',
    denominator: '(none: a count)',
    unit: '',
    source: `${T41}; ${RATES_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'antenatal_check_rate',
    titleZh: '产前检查率',
    numerator: 'women delivered in the period with at least one antenatal check (产前检查人数)',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; ${RATES_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'early_antenatal_check_rate',
    titleZh: '孕早期检查率',
    numerator: 'women delivered in the period whose first antenatal check was before 13+0 weeks (孕早期产前检查人数)',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; ${RATES_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'postpartum_visit_rate',
    titleZh: '产后访视率',
    numerator:
      'women delivered in the period visited at least once within 28 days after delivery (接受产后访视的产妇人数)',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; ${RATES_PAGE} (the 28-day window is the survey's 产后28天内, not confirmed from its text)`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'antenatal_5_plus_rate',
    titleZh: '产前检查5次及以上比例',
    numerator: 'women delivered in the period with ≥ 5 antenatal checks',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41} (the numerator names 产前检查5次及以上; the denominator is not confirmed)`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'maternal_system_management_rate',
    titleZh: '孕产妇系统管理率',
    numerator:
      'women delivered in the period with a first check before 13+0 weeks, ≥ 5 antenatal checks and a postpartum visit within 28 days (孕产妇系统管理人数)',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; components as reported in http://www.sznianjian.com/show.php?mlid=42844 (the formula is not confirmed)`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'high_risk_rate',
    titleZh: '高危产妇比例',
    numerator: 'women delivered in the period ever graded yellow or above (五色: yellow, orange, red, purple)',
    denominator: 'women delivered in the period (产妇数)',
    unit: '%',
    source: `${T41}; ${RATES_PAGE} (高危产妇占总产妇数的百分比; counting yellow follows 孕产妇妊娠风险评估与管理工作规范 2017, not confirmed)`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'caesarean_rate',
    titleZh: '剖宫产率',
    numerator: 'live births by caesarean section',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; named in ${RATES_PAGE}, the formula not confirmed`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'low_birth_weight_rate',
    titleZh: '低出生体重儿百分比',
    numerator: 'live births weighing < 2500 g (a stillborn baby is not counted)',
    denominator: 'live births with a recorded weight',
    unit: '%',
    source: `${T41}; named in ${RATES_PAGE}, the formula not confirmed`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'hospital_delivery_rate',
    titleZh: '住院分娩率',
    numerator:
      'live births delivered in a prefecture-level or higher, county or township hospital (住院分娩活产数; twins count two; home, en route, a village delivery room or another institution are not; a delivery recorded without its place is not)',
    denominator: 'live births (活产数)',
    unit: '%',
    source: `${T41}; ${HOSPITAL_DELIVERY_PAGE} (乡镇卫生院及乡镇以上医疗保健机构分娩 ÷ 活产数); the place categories are 分娩地点 of the 孕产妇死亡报告卡 (${MATERNAL_DEATH_CARD_PAGE}). The page read counts women (分娩的人数); counting the live births delivered there follows the table's 住院分娩活产数, not confirmed`,
    confirmation: 'unconfirmed',
    filed: 'month',
  },
  {
    id: 'maternal_mortality_ratio',
    titleZh: '孕产妇死亡率',
    numerator:
      'maternal deaths reported in the period (from the start of pregnancy to 42 days after its end, accidents excluded; county of residence of her pregnancy record)',
    denominator: 'live births (活产数) in the period',
    unit: 'per 100,000 live births',
    source: `${T41}; ${MORTALITY_PAGE}; ${MMR_FORMULA_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'neonatal_mortality_rate',
    titleZh: '新生儿死亡率',
    numerator: 'deaths reported in the period of children under 28 days old',
    denominator: 'live births (活产数) in the period',
    unit: '‰',
    source: `${T42}; ${NMR_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'infant_mortality_rate',
    titleZh: '婴儿死亡率',
    numerator: 'deaths reported in the period of children before their first birthday',
    denominator: 'live births (活产数) in the period',
    unit: '‰',
    source: `${T42}; ${IMR_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'under5_mortality_rate',
    titleZh: '5岁以下儿童死亡率',
    numerator: 'deaths reported in the period of children before their fifth birthday',
    denominator: 'live births (活产数) in the period',
    unit: '‰',
    source: `${T42}; ${MORTALITY_PAGE}`,
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'maternal_near_miss_ratio',
    titleZh: '孕产妇危重症（near miss）发生率',
    numerator:
      'women with a maternal near miss recorded in the period (at least one WHO 2011 life-threatening condition during pregnancy, childbirth or within 42 days of its end, and survived: a pregnancy with a maternal death is not counted; one per pregnancy, under the month of the event)',
    denominator: 'live births (活产数) in the period',
    unit: '‰',
    source:
      'World Health Organization, Evaluating the quality of care for severe pregnancy complications: the WHO near-miss approach for maternal health (2011, ISBN 978 92 4 150222 1): maternal near-miss ratio = maternal near-miss cases per 1,000 live births; the criteria in services/records/data/near-miss-criteria.json. Not an indicator of 卫统41',
    confirmation: 'confirmed',
    filed: 'month',
  },
  {
    id: 'under3_system_management_rate',
    titleZh: '3岁以下儿童系统管理率',
    numerator:
      'children under three in the reporting year who had every child health check the schedule set for that year before their third birthday (at least one)',
    denominator: 'children under three at some time in the reporting year with at least one check due in it',
    unit: '%',
    source: `${T42}; ${YEAR_PAGE} (按年龄要求接受体格检查; the per-year check count is the schedule's, not confirmed)`,
    confirmation: 'unconfirmed',
    filed: 'reporting-year',
  },
  {
    id: 'under7_health_management_rate',
    titleZh: '7岁以下儿童健康管理率',
    numerator: 'children 0–6 in the reporting year with at least one health check or growth measurement in it',
    denominator: 'children 0–6 at some time in the reporting year',
    unit: '%',
    source: `${T42}; ${CHILD_PAGE}`,
    confirmation: 'confirmed',
    filed: 'reporting-year',
  },
];

/**
 * Indicators of the tables that need data the record does not hold yet (
 * nutrition classes): named so the answer can say why they are missing.
 */
export const INDICATORS_NEEDING_DATA: readonly { id: string; titleZh: string; needs: string }[] = [
  {
    id: 'under5_malnutrition_prevalence',
    titleZh: '5岁以下儿童低体重/生长迟缓/消瘦患病率',
    needs: 'nutrition classes against the growth reference the definition names',
  },
];

export const INDICATOR_CATALOGUE: readonly IndicatorDefinition[] = [...OPERATIONAL, ...NATIONAL];

const BY_ID = new Map(INDICATOR_CATALOGUE.map((definition) => [definition.id, definition]));

/** Definition of an indicator id; risk_colour_<colour> share one. */
export function indicatorDefinition(id: string): IndicatorDefinition | undefined {
  const found = BY_ID.get(id);
  if (found) return found;
  if (!id.startsWith('risk_colour_')) return undefined;
  return {
    id,
    titleZh: '妊娠风险分级',
    numerator: `pregnancies registered in the month whose current grade is ${id.slice('risk_colour_'.length)}`,
    denominator: 'registered in the month',
    unit: '%',
    source: 'platform (DESIGN.md §2.6)',
    confirmation: 'confirmed',
    filed: 'month',
  };
}

/** "numerator ÷ denominator", the one-line definition earlier answers carried. */
export function definitionLine(definition: IndicatorDefinition): string {
  return definition.unit === ''
    ? `${definition.numerator} (no denominator)`
    : `${definition.numerator} ÷ ${definition.denominator}`;
}

/** The first month (YYYY-MM-01) of the reporting year (1 October – 30 September) a day falls in. */
export function reportingYearStart(day: string): string {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  return `${month >= 10 ? year : year - 1}-10-01`;
}

/** The reporting year (named by the year it ends in) a month YYYY-MM falls in. */
export function reportingYearOf(month: string): string {
  const year = Number(month.slice(0, 4));
  return String(Number(month.slice(5, 7)) >= 10 ? year + 1 : year);
}
