// A consultation's wire view as a reader may see it: sensitive subject, outcome, message text and attachment names
// withheld from a reader who may not see her sensitive facts, and the answer says so.
import { MessageKind } from '../../common/src/gen/mch/consultation/v1/consultation';
import type { ConsultationRow, MessageRow } from './repository';
import { threadTreatingTeam } from './text-sensitivity';
import { messageFor, messageView, toConsultation, toMessage } from './views';

const FULL = { maySeeSensitive: true, breakGlass: false };
const RESTRICTED = { maySeeSensitive: false, breakGlass: false };

const message = (over: Partial<MessageRow>): MessageRow => ({
  consultation_id: 'c1',
  sequence: '1',
  id: 'm1',
  kind: 'post',
  status: 'completed',
  sender_account_id: 'a',
  sender_institution_id: null,
  text: 'HIV阳性',
  attachments: [{ objectId: 'o1', fileName: 'HIV报告.png', contentType: 'image/png', sizeBytes: 10 }],
  event: '',
  event_account_id: '',
  sent_at: new Date('2026-12-01T00:00:00Z'),
  text_sensitivity: 'names-sensitive',
  attachments_sensitivity: 'names-sensitive',
  ...over,
});

describe('a message as a reader may see it', () => {
  it('withholds sensitive text and sensitive attachments from a restricted reader, and says so', () => {
    expect(messageView(message({}), RESTRICTED)).toMatchObject({ text: '', attachments: [], textWithheld: true });
    const plainNames = messageView(message({ attachments_sensitivity: 'plain' }), RESTRICTED);
    expect(plainNames).toMatchObject({ text: '', textWithheld: true });
    expect(plainNames.attachments.map((a) => a.fileName)).toEqual(['HIV报告.png']);
    expect(
      messageView(
        message({ text: '明天复诊', text_sensitivity: 'plain', attachments: [], attachments_sensitivity: 'plain' }),
        RESTRICTED,
      ),
    ).toMatchObject({ text: '明天复诊', textWithheld: false });
  });

  it('shows everything to a reader who may see her sensitive facts, and events to everyone', () => {
    expect(messageView(message({}), FULL)).toMatchObject({ text: 'HIV阳性', textWithheld: false });
    const event = toMessage(
      message({
        kind: 'event',
        text: '',
        attachments: [],
        event: 'participant.joined',
        text_sensitivity: 'unclassified',
      }),
    );
    expect(event.kind).toBe(MessageKind.MESSAGE_KIND_EVENT);
    expect(messageFor(event, undefined, RESTRICTED)).toEqual(event);
  });

  it('treats a message whose classification is unknown or unclassified as sensitive', () => {
    expect(messageFor(toMessage(message({ text: '产检' })), undefined, RESTRICTED)).toMatchObject({
      text: '',
      attachments: [],
      textWithheld: true,
    });
    expect(
      messageView(message({ text: '产检', text_sensitivity: 'unclassified', attachments: [] }), RESTRICTED),
    ).toMatchObject({ text: '', textWithheld: true });
  });
});

describe('a thread as a reader may see it', () => {
  const row: ConsultationRow = {
    id: 'c1',
    kind: 'clinician-specialist',
    status: 'in-progress',
    patient_id: 'p1',
    subject: '妊娠合并梅毒',
    referral_id: null,
    requester_account_id: 'a',
    requester_institution_id: 'i1',
    addressed_institution_id: 'i2',
    last_sequence: '3',
    created_at: new Date(),
    updated_at: new Date(),
    closed_at: null,
    closed_by: null,
    outcome: '建议转诊',
    subject_sensitivity: 'names-sensitive',
    outcome_sensitivity: 'accompanies-sensitive',
    accompanies_sensitive: true,
  };

  it('withholds a sensitive subject and outcome', () => {
    expect(toConsultation(row, [], RESTRICTED)).toMatchObject({ subject: '', outcome: '', textWithheld: true });
    expect(toConsultation(row, [], FULL)).toMatchObject({
      subject: '妊娠合并梅毒',
      outcome: '建议转诊',
      textWithheld: false,
    });
    expect(toConsultation({ ...row, outcome_sensitivity: 'author-cleared' }, [], RESTRICTED)).toMatchObject({
      outcome: '建议转诊',
      textWithheld: true,
    });
  });

  it('counts the requesting and the addressed institution as her treating team', () => {
    expect(threadTreatingTeam(row)).toEqual(['i1', 'i2']);
    expect(threadTreatingTeam({ ...row, requester_institution_id: null })).toEqual(['i2']);
  });
});
