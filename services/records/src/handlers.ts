// Records' gRPC handlers: each method to the service that owns it.
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import type { Database } from '../../common/src/pg/database';
import { RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';
import type { ChildService } from './child-service';
import type { DeathService } from './death-service';
import type { PregnancyService } from './pregnancy-service';
import type { ReadService } from './read-service';
import type { RecordImport } from './record-import';
import type { RecordsReferenceData } from './domain';
import { readStatistics, ReferralIndicatorSource } from './statistics';
import { listRiskCatalogue } from './risk-catalogue';
import { watchHighRiskCases } from './risk-watch';
import type { RecordAccess } from './access';

export interface RecordsServices {
  readonly db: Database;
  readonly pregnancies: PregnancyService;
  readonly children: ChildService;
  readonly deaths: DeathService;
  readonly reads: ReadService;
  readonly imports: RecordImport;
  readonly reference: RecordsReferenceData;
  /** The referral service's indicators; undefined until records is wired to it. */
  readonly referrals?: ReferralIndicatorSource;
  /** The live high-risk stream: the record access it reads through and how often it looks at the outbox. */
  readonly riskWatch: { readonly access: RecordAccess; readonly pollMs: number };
}

export function recordsHandlers({
  db,
  pregnancies,
  children,
  deaths,
  reads,
  imports,
  reference,
  referrals,
  riskWatch,
}: RecordsServices): UnaryHandlers<typeof RecordsServiceService> {
  return {
    getPatientRecord: (request, ctx) => reads.getRecord(request, ctx),
    listRecordHistory: (request, ctx) => reads.history(request, ctx),
    getHandbook: (request, ctx) => reads.handbook(request, ctx),
    registerPregnancy: (request, ctx) => pregnancies.register(request, ctx),
    recordAntenatalVisit: (request, ctx) => pregnancies.recordVisit(request, ctx),
    assessRisk: (request, ctx) => pregnancies.assessRisk(request, ctx),
    recordDelivery: (request, ctx) => pregnancies.recordDelivery(request, ctx),
    recordGrowth: (request, ctx) => children.recordGrowth(request, ctx),
    recordImmunization: (request, ctx) => children.recordImmunization(request, ctx),
    recordImmunizationDeferral: (request, ctx) => children.recordImmunizationDeferral(request, ctx),
    recordScreening: (request, ctx) => children.recordScreening(request, ctx),
    recordPostpartumVisit: (request, ctx) => pregnancies.recordPostpartumVisit(request, ctx),
    recordChildCheck: (request, ctx) => children.recordChildCheck(request, ctx),
    recordImagingStudy: (request, ctx) => pregnancies.recordImagingStudy(request, ctx),
    listHighRiskCases: (request, ctx) => reads.listHighRiskCases(request, ctx),
    getStatistics: (request, ctx) => readStatistics(db, referrals, request, ctx),
    recordMaternalDeath: (request, ctx) => deaths.recordMaternalDeath(request, ctx),
    recordChildDeath: (request, ctx) => deaths.recordChildDeath(request, ctx),
    getDeathReport: (request, ctx) => deaths.getDeathReport(request, ctx),
    listRiskCatalogue: (request, ctx) => Promise.resolve(listRiskCatalogue(reference.riskRuleSets, request, ctx)),
    listRiskEvents: (request, ctx) => reads.listRiskEvents(request, ctx),
    listAuditEvents: (request, ctx) => reads.listAuditEvents(request, ctx),
    listDueItems: (request, ctx) => reads.dueItems(request, ctx),
    importRecords: (request, ctx) => imports.importRecords(request, ctx),
    watchHighRiskCases: (request, ctx) => watchHighRiskCases(riskWatch.access, request, ctx, riskWatch.pollMs),
  };
}
