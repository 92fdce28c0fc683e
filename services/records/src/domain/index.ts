// The records service's domain rules in one import: pregnancy risk grading, WHO growth z-scores, care and
// immunization schedules, pregnancy dating, and the loader of the reference data they run on.
export * from './calendar';
export * from './data-file';
export * from './reference-data';
export * from './risk/clinical-picture';
export * from './risk/rule-set';
export * from './risk/grading';
export * from './growth/lms';
export * from './growth/tables';
export * from './growth/indicators';
export * from './schedules/schedule';
export * from './schedules/engine';
export * from './schedules/child-facts';
export * from './schedules/gestation';
export * from './record-inputs';
export * from './entry-inputs';
export * from './death-reports';
export * from './death-reviews';
export * from './near-miss';
