// Who may read and write a record, applied the same way by every handler: the policy decides, a denial is
// audited and refused, and a read learns whether the caller may see the sensitive parts (treating team,
// the patient, or break-glass with a reason).
import { enforce } from '../../common/src/audit';
import { canAccessPatient, canAccessSensitive, canReadDueItems, canWriteRecord } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database } from '../../common/src/pg/database';
import { RecordsReferenceData, RiskRuleSet, riskRuleSetInForce } from './domain';
import type { RecordsRepository } from './repository';
import type { Visibility } from './views';

export { requireId } from '../../common/src/ids';

/** The jurisdiction whose rule sets grade pregnancies here. */
export const RISK_JURISDICTION = 'CN';

export class RecordAccess {
  constructor(
    readonly db: Database,
    readonly repository: RecordsRepository,
    readonly reference: RecordsReferenceData,
  ) {}

  ruleSetOn(date: string): RiskRuleSet {
    return riskRuleSetInForce(this.reference.riskRuleSets, RISK_JURISDICTION, date);
  }

  async allowWrite(ctx: CallContext, patientId: string, action: string): Promise<void> {
    await enforce(this.db, ctx, canWriteRecord(ctx.principal, patientId, ctx.purpose), patientId, action);
  }

  async allowRead(ctx: CallContext, patientId: string, action: string): Promise<void> {
    await enforce(this.db, ctx, canAccessPatient(ctx.principal, patientId, ctx.purpose), patientId, action);
  }

  async allowDueItems(ctx: CallContext, patientId: string): Promise<void> {
    await enforce(
      this.db,
      ctx,
      canReadDueItems(ctx.principal, patientId, ctx.purpose),
      patientId,
      'record.due-items.read',
    );
  }

  /** What anyone may see: no sensitive entries, and which colours and rules are sensitive in the rule set. */
  restrictedVisibility(today: string): Visibility {
    const ruleSet = this.ruleSetOn(today);
    const sensitiveColours = new Set(
      ruleSet.colours.filter((colour) => colour.standsBeside).map((colour) => colour.code),
    );
    const sensitiveRules = new Set([
      ...ruleSet.rules.filter((rule) => rule.sensitive || sensitiveColours.has(rule.colour)).map((rule) => rule.id),
      ...ruleSet.screening.filter((rule) => rule.sensitive).map((rule) => rule.id),
    ]);
    return { sensitive: false, sensitiveColours, sensitiveRules };
  }

  /**
   * What the caller (already allowed to read the record) may see of its sensitive parts. Returns the audit reason
   * to record with the read: the break-glass reason when that is what opened them.
   */
  visibilityFor(
    ctx: CallContext,
    patientId: string,
    treating: readonly string[],
    today: string,
  ): { visibility: Visibility; auditReason: string | undefined } {
    const decision = canAccessSensitive(ctx.principal, patientId, treating, ctx.purpose, ctx.breakGlassReason);
    const visibility = { ...this.restrictedVisibility(today), sensitive: decision.allowed };
    const auditReason =
      decision.allowed && decision.breakGlass
        ? `break-glass: ${ctx.breakGlassReason ?? ''}`
        : decision.allowed
          ? undefined
          : 'sensitive entries withheld';
    return { visibility, auditReason };
  }
}
