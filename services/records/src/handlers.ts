// Records' gRPC handlers: each method to the service that owns it.
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import type { Database } from '../../common/src/pg/database';
import { RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';
import type { ChildService } from './child-service';
import type { DeathService } from './death-service';
import type { NearMissService } from './near-miss-service';
import type { PregnancyService } from './pregnancy-service';
import type { ReadService } from './read-service';
import type { RecordImport } from './record-import';
import type { RecordsReferenceData } from './domain';
import { readStatistics, ReferralIndicatorSource } from './statistics';
import { listRiskCatalogue } from './risk-catalogue';

export interface RecordsServices {
  readonly db: Database;
  readonly pregnancies: PregnancyService;
  readonly children: ChildService;
  readonly deaths: DeathService;
  readonly nearMisses: NearMissService;
  readonly reads: ReadService;
  readonly imports: RecordImport;
  readonly reference: RecordsReferenceData;
  /** The referral service's indicators; undefined until records is wired to it. */
  readonly referrals?: ReferralIndicatorSource;
}

export function recordsHandlers({
  db,
  pregnancies,
  children,
  deaths,
  nearMisses,
  reads,
  imports,
  reference,
  referrals,
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
    recordDeathReview: (request, ctx) => deaths.recordDeathReview(request, ctx),
    listDeathReviews: (request, ctx) => deaths.listDeathReviews(request, ctx),
    recordMaternalNearMiss: (request, ctx) => nearMisses.recordMaternalNearMiss(request, ctx),
    getMaternalNearMiss: (request, ctx) => nearMisses.getMaternalNearMiss(request, ctx),
    listRiskCatalogue: (request, ctx) => Promise.resolve(listRiskCatalogue(reference.riskRuleSets, request, ctx)),
    listRiskEvents: (request, ctx) => reads.listRiskEvents(request, ctx),
    listAuditEvents: (request, ctx) => reads.listAuditEvents(request, ctx),
    listDueItems: (request, ctx) => reads.dueItems(request, ctx),
    importRecords: (request, ctx) => imports.importRecords(request, ctx),
  };
}
