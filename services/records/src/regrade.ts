// The re-grade sweep (#25 §2): every active pregnancy with a confirmed grade is evaluated under the rules in force
// today; where they would now propose another grade than they proposed at confirmation, a re-grade proposal is
// written for the treating clinician, as a version of her record. The confirmed colour, its reasons and the case
// register are left as they are: only a clinician's grade changes them. Idempotent: a proposal is keyed by pregnancy,
// rule-set digest and the grade it questions, so a second run writes nothing; each pregnancy is its own transaction.
import type { Logger } from '../../common/src/logger';
import type { Database } from '../../common/src/pg/database';
import { randomUUID } from 'node:crypto';
import { regradeProposal, RiskRuleSet } from './domain';
import { visitPicture } from './pregnancy-service';
import type { PregnancyRow, RecordsRepository } from './repository';

export const REGRADE_AUTHOR = 'system:regrade';

/** The open proposal as the pregnancy carries it (`pregnancies.regrade_proposal`). */
export interface StoredRegradeProposal {
  id: string;
  ruleSetId: string;
  confirmedColour: string;
  confirmedBeside: string[];
  proposedColour: string;
  proposedBeside: string[];
  ruleIds: string[];
  proposedAt: string;
}

export interface RegradeSweepResult {
  readonly examined: number;
  readonly proposed: number;
}

export async function proposeRegrades(
  db: Database,
  repository: RecordsRepository,
  ruleSet: RiskRuleSet,
  logger: Logger,
  options: { batchSize?: number; patientIds?: readonly string[] } = {},
): Promise<RegradeSweepResult> {
  const batchSize = options.batchSize ?? 200;
  let after = '00000000-0000-0000-0000-000000000000';
  let examined = 0;
  let proposed = 0;
  for (;;) {
    const { rows } = await db.rw.query<{ id: string }>(
      `SELECT id::text FROM pregnancies
        WHERE status = 'active' AND risk_colour <> '' AND id > $1::uuid AND ($3::uuid[] IS NULL OR patient_id = ANY($3))
        ORDER BY id LIMIT $2`,
      [after, batchSize, options.patientIds ?? null],
    );
    if (rows.length === 0) break;
    for (const { id } of rows) {
      examined += 1;
      if (await proposeFor(db, repository, ruleSet, id)) proposed += 1;
    }
    after = rows.at(-1)?.id as string;
    logger.info({ examined, proposed }, 're-grade sweep progress');
  }
  return { examined, proposed };
}

async function proposeFor(
  db: Database,
  repository: RecordsRepository,
  ruleSet: RiskRuleSet,
  pregnancyId: string,
): Promise<boolean> {
  return db.withTransaction(async (tx) => {
    const known = await repository.requirePregnancy(pregnancyId, tx);
    // The record's row first, as every write locks it: the proposal is a version of her record.
    const { rows: locked } = await tx.query<{ version: number }>(
      'SELECT version FROM patient_records WHERE patient_id = $1 FOR UPDATE',
      [known.patient_id],
    );
    const pregnancy: PregnancyRow = await repository.requirePregnancy(pregnancyId, tx);
    if (pregnancy.status !== 'active' || pregnancy.risk_colour === '' || locked[0] === undefined) return false;
    const { rows: grades } = await tx.query<{
      id: string;
      proposed_colour: string;
      proposed_beside: string[];
      colour: string;
      beside_colours: string[];
    }>(
      `SELECT id::text, proposed_colour, proposed_beside, colour, beside_colours FROM risk_assessments
        WHERE pregnancy_id = $1 AND kind = 'grade' ORDER BY recorded_at DESC, record_version DESC LIMIT 1`,
      [pregnancyId],
    );
    const basis = grades[0];
    if (!basis) return false;
    const visits = await repository.visitsOf([pregnancyId], tx);
    const proposal = regradeProposal(ruleSet, visitPicture(pregnancy, visits), {
      confirmed: { colour: pregnancy.risk_colour, besideColours: pregnancy.risk_beside },
      proposedThen: { colour: basis.proposed_colour, besideColours: basis.proposed_beside },
    });
    if (!proposal) return false;
    const version = locked[0].version + 1;
    const id = randomUUID();
    const inserted = await tx.query<{ proposed_at: Date }>(
      `INSERT INTO risk_regrade_proposals (id, pregnancy_id, patient_id, rule_set_id, rule_set_digest, basis_assessment_id,
         confirmed_colour, confirmed_beside, proposed_colour, proposed_beside, fired_rules, record_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (pregnancy_id, rule_set_digest, basis_assessment_id) DO NOTHING RETURNING proposed_at`,
      [
        id,
        pregnancyId,
        pregnancy.patient_id,
        proposal.ruleSetId,
        proposal.ruleSetDigest,
        basis.id,
        proposal.confirmed.colour,
        proposal.confirmed.besideColours,
        proposal.proposed.colour,
        proposal.proposed.besideColours,
        JSON.stringify(proposal.firedRules.map(({ ruleId, colour }) => ({ ruleId, colour }))),
        version,
      ],
    );
    const row = inserted.rows[0];
    if (!row) return false; // proposed before (this rule set, this grade): nothing new
    const stored: StoredRegradeProposal = {
      id,
      ruleSetId: proposal.ruleSetId,
      confirmedColour: proposal.confirmed.colour,
      confirmedBeside: [...proposal.confirmed.besideColours],
      proposedColour: proposal.proposed.colour,
      proposedBeside: [...proposal.proposed.besideColours],
      ruleIds: proposal.firedRules.map((rule) => rule.ruleId),
      proposedAt: row.proposed_at.toISOString(),
    };
    // Flagged for grading as a visit's screen flags her; the confirmed colour and the case register stay.
    await tx.query(
      `UPDATE pregnancies SET regrade_proposal = $2, screen_positive = true,
         screen_reasons = ARRAY(SELECT DISTINCT unnest(screen_reasons || $3::text[]))
       WHERE id = $1`,
      [pregnancyId, JSON.stringify(stored), stored.ruleIds],
    );
    await tx.query('UPDATE patient_records SET version = $2, updated_at = now() WHERE patient_id = $1', [
      pregnancy.patient_id,
      version,
    ]);
    await tx.query(
      `INSERT INTO record_versions (patient_id, version, change, entity_id, author_id, reason, entry)
       VALUES ($1, $2, 'risk.regrade-proposal', $3, $4, $5, $6)`,
      [
        pregnancy.patient_id,
        version,
        pregnancyId,
        REGRADE_AUTHOR,
        `the rules in force (${proposal.ruleSetId}) would grade her differently; proposed to the treating clinician`,
        JSON.stringify({ pregnancyId, confirmedColour: stored.confirmedColour, proposedColour: stored.proposedColour }),
      ],
    );
    return true;
  });
}
