// Consultation's gRPC handlers: each method to the use case that owns it.
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import { ConsultationServiceService } from '../../common/src/gen/mch/consultation/v1/consultation';
import type { ConsultationService } from './consultation-service';

export function consultationHandlers(
  consultations: ConsultationService,
): UnaryHandlers<typeof ConsultationServiceService> {
  return {
    createConsultation: (request, ctx) => consultations.create(request, ctx),
    getConsultation: (request, ctx) => consultations.get(request, ctx),
    listMyConsultations: (request, ctx) => consultations.listMine(request, ctx),
    postMessage: (request, ctx) => consultations.post(request, ctx),
    listMessages: (request, ctx) => consultations.listMessages(request, ctx),
    markRead: (request, ctx) => consultations.markRead(request, ctx),
    joinConsultation: (request, ctx) => consultations.join(request, ctx),
    addParticipant: (request, ctx) => consultations.addParticipant(request, ctx),
    removeParticipant: (request, ctx) => consultations.removeParticipant(request, ctx),
    closeConsultation: (request, ctx) => consultations.close(request, ctx),
    subscribe: (request, ctx) => consultations.subscribe(request, ctx),
    listAuditEvents: (request, ctx) => consultations.listAuditEvents(request, ctx),
  };
}
