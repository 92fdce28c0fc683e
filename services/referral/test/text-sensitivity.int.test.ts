// Sensitive facts do not leak through a referral's free text (issue 28 §1), through the gateway on the real
// platform: the Guangtong township midwife refers a woman to the Dazhuang township of Shuangbai county with a reason
// naming HIV. The receiving institution reads it while she is its to take; once it has rejected her, Shuangbai's
// midwife reads the referral (and her incoming worklist) without the reason, the request transition's reason or
// anything matching the term list, with text_withheld set; break-glass opens it, and is audited. The sender, and the
// county hospital she is then referred up to, read it; the county's admin, who is not clinical, does not. The match
// is audited by field and category, never the text.
import { matchSensitiveTerms } from '../../common/src/sensitive-text';
import { readTestPlatform } from '../../platform/test/platform-env';
import { ok, ReferralWorld } from './support';

const platform = readTestPlatform();
const world = new ReferralWorld(platform.gatewayUrl);
const call = world.call.bind(world);
const glass = {
  'x-mch-purpose': 'break-glass',
  'x-mch-break-glass-reason': 'she collapsed at our clinic, sender unreachable',
};
const REASON = '血压偏高，回娘家待产; HIV阳性，已抗病毒治疗';

beforeAll(async () => {
  await world.login(['lufeng.midwife', 'lufeng.clinician', 'lufeng.admin', 'shuangbai.midwife']);
});

describe('a referral reason naming HIV', () => {
  let patientId: string;
  let referralId: string;
  let upId: string;
  const dazhuang = (): string => world.institution('CX-SBX-DAZHUANG-THC');
  const county = (): string => world.institution('CX-LFS-MCH');

  beforeAll(async () => {
    ({ patientId } = await world.gradedPregnancy('yellow'));
    const created = await ok(
      call('lufeng.midwife', 'POST', '/v1/referrals', {
        patientId,
        toInstitutionId: dazhuang(),
        direction: 'REFERRAL_DIRECTION_DOWN',
        reason: REASON,
        followUpPlan: '每两周产检',
      }),
    );
    referralId = created.referral.id;
    // The author sees her own text.
    expect(created.referral).toMatchObject({ reason: REASON });
    expect(created.referral.textWithheld ?? false).toBe(false);
  });

  it('is read by the receiving institution while she is its to take', async () => {
    const { referral } = await ok(call('shuangbai.midwife', 'GET', `/v1/referrals/${referralId}`));
    expect(referral).toMatchObject({ reason: REASON, followUpPlan: '每两周产检' });
    expect(referral.transitions[0]).toMatchObject({ action: 'request', reason: REASON });
    expect(referral.textWithheld ?? false).toBe(false);
  });

  it('is withheld from Shuangbai once it has rejected her, in the referral, its transitions and the worklist', async () => {
    const rejected = await ok(
      call('shuangbai.midwife', 'POST', `/v1/referrals/${referralId}/reject`, { reason: '本院无产科医生' }),
    );
    expect(rejected.referral).toMatchObject({
      status: 'REFERRAL_STATUS_REJECTED',
      statusReason: '本院无产科医生',
      textWithheld: true,
    });
    expect(rejected.referral.reason ?? '').toBe('');

    const { referral } = await ok(
      call('shuangbai.midwife', 'GET', `/v1/referrals/${referralId}`, undefined, { 'x-mch-purpose': 'treatment' }),
    );
    expect(referral.reason ?? '').toBe('');
    expect(referral.textWithheld).toBe(true);
    // The follow-up plan names nothing and accompanies nothing sensitive: she still sees it.
    expect(referral.followUpPlan).toBe('每两周产检');
    const request = referral.transitions.find((t: { action: string }) => t.action === 'request');
    expect(request).toMatchObject({ textWithheld: true });
    expect(request.reason ?? '').toBe('');
    expect(matchSensitiveTerms(JSON.stringify(referral))).toEqual([]);

    const worklist = await ok(
      call('shuangbai.midwife', 'GET', `/v1/institutions/${dazhuang()}/referrals?direction=incoming&pageSize=100`),
    );
    const listed = worklist.referrals.find((r: { id: string }) => r.id === referralId);
    expect(listed).toMatchObject({ textWithheld: true });
    expect(listed.reason ?? '').toBe('');
    expect(matchSensitiveTerms(JSON.stringify(worklist))).toEqual([]);
  });

  it('break-glass opens it for Shuangbai; the sender always reads it', async () => {
    const opened = await ok(call('shuangbai.midwife', 'GET', `/v1/referrals/${referralId}`, undefined, glass));
    expect(opened.referral).toMatchObject({ reason: REASON });
    expect(opened.referral.textWithheld ?? false).toBe(false);
    const sender = await ok(call('lufeng.midwife', 'GET', `/v1/referrals/${referralId}`));
    expect(sender.referral).toMatchObject({ reason: REASON, statusReason: '本院无产科医生' });
  });

  it('is read by the county hospital she is referred up to, not by its admin', async () => {
    const up = await ok(
      call('lufeng.midwife', 'POST', '/v1/referrals', {
        patientId,
        toInstitutionId: county(),
        direction: 'REFERRAL_DIRECTION_UP',
        reason: REASON,
      }),
    );
    upId = up.referral.id;
    const receiver = await ok(call('lufeng.clinician', 'GET', `/v1/referrals/${upId}`));
    expect(receiver.referral).toMatchObject({ reason: REASON });
    const admin = await ok(
      call('lufeng.admin', 'GET', `/v1/institutions/${county()}/referrals?direction=incoming&pageSize=100`),
    );
    const listed = admin.referrals.find((r: { id: string }) => r.id === upId);
    expect(listed).toMatchObject({ textWithheld: true });
    expect(listed.reason ?? '').toBe('');
    expect(matchSensitiveTerms(JSON.stringify(admin))).toEqual([]);
  });

  it('audits the match by field and category, the break-glass read with its reason, and never the text', async () => {
    const trail = await ok(call('lufeng.admin', 'GET', `/v1/patients/${patientId}/audit?pageSize=100`));
    const events = (trail.events ?? []).filter((e: { service: string }) => e.service === 'referral');
    const matches = events.filter((e: { action: string }) => e.action === 'text.sensitive-terms');
    expect(matches.map((e: { reason: string }) => e.reason)).toEqual([
      expect.stringMatching(/^field=referral\.reason; categories=hiv; list=\S+$/),
      expect.stringMatching(/^field=referral\.reason; categories=hiv; list=\S+$/),
    ]);
    const reads = events
      .filter((e: { action: string }) => e.action === 'referral.read')
      .map((e: { reason?: string }) => e.reason ?? '');
    expect(reads).toEqual(
      expect.arrayContaining(['sensitive text withheld', `break-glass: ${glass['x-mch-break-glass-reason']}`]),
    );
    expect(JSON.stringify(trail)).not.toContain('HIV阳性');
  });
});
