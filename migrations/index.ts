import { Migration20261126101500_foundation } from './Migration20261126101500_foundation';
import { Migration20261126110000_second_factors } from './Migration20261126110000_second_factors';
import { Migration20261126120000_verification } from './Migration20261126120000_verification';
import { Migration20261126130000_oidc } from './Migration20261126130000_oidc';
import { Migration20261126140000_audit_and_staff } from './Migration20261126140000_audit_and_staff';
import { Migration20261126145000_reconfirm_after_recovery } from './Migration20261126145000_reconfirm_after_recovery';
import { Migration20261126150000_support } from './Migration20261126150000_support';
import { Migration20261126160000_documents } from './Migration20261126160000_documents';
import { Migration20261126170000_calls } from './Migration20261126170000_calls';
import { Migration20261126180000_email_attachments } from './Migration20261126180000_email_attachments';
import { Migration20261126190000_account_language } from './Migration20261126190000_account_language';
import { Migration20261126190000_audit_append } from './Migration20261126190000_audit_append';
import { Migration20261126190000_supervisor } from './Migration20261126190000_supervisor';
import { Migration20261126191000_organization_changes } from './Migration20261126191000_organization_changes';
import { Migration20261126191500_document_file_storage_key } from './Migration20261126191500_document_file_storage_key';
import { Migration20261126200000_support_language } from './Migration20261126200000_support_language';
import { Migration20261205020000_evidence_reference } from './Migration20261205020000_evidence_reference';
import { Migration20261205070000_job_run } from './Migration20261205070000_job_run';
import { Migration20261205070100_outbox_next_attempt } from './Migration20261205070100_outbox_next_attempt';
import { Migration20261205090000_case_events_in_audit_log } from './Migration20261205090000_case_events_in_audit_log';
import { Migration20261205110000_single_use_links } from './Migration20261205110000_single_use_links';
import { Migration20261205110100_recovery_cancel_links } from './Migration20261205110100_recovery_cancel_links';

/** Every migration, in order. Listed here (not discovered from the folder) so the build and the tests load the same code. */
export const migrations = [
  { name: 'Migration20261126101500_foundation', class: Migration20261126101500_foundation },
  { name: 'Migration20261126110000_second_factors', class: Migration20261126110000_second_factors },
  { name: 'Migration20261126120000_verification', class: Migration20261126120000_verification },
  { name: 'Migration20261126130000_oidc', class: Migration20261126130000_oidc },
  { name: 'Migration20261126140000_audit_and_staff', class: Migration20261126140000_audit_and_staff },
  { name: 'Migration20261126145000_reconfirm_after_recovery', class: Migration20261126145000_reconfirm_after_recovery },
  { name: 'Migration20261126150000_support', class: Migration20261126150000_support },
  { name: 'Migration20261126160000_documents', class: Migration20261126160000_documents },
  { name: 'Migration20261126170000_calls', class: Migration20261126170000_calls },
  { name: 'Migration20261126180000_email_attachments', class: Migration20261126180000_email_attachments },
  { name: 'Migration20261126190000_account_language', class: Migration20261126190000_account_language },
  { name: 'Migration20261126190000_audit_append', class: Migration20261126190000_audit_append },
  { name: 'Migration20261126190000_supervisor', class: Migration20261126190000_supervisor },
  { name: 'Migration20261126191000_organization_changes', class: Migration20261126191000_organization_changes },
  { name: 'Migration20261126191500_document_file_storage_key', class: Migration20261126191500_document_file_storage_key },
  { name: 'Migration20261126200000_support_language', class: Migration20261126200000_support_language },
  { name: 'Migration20261205020000_evidence_reference', class: Migration20261205020000_evidence_reference },
  { name: 'Migration20261205070000_job_run', class: Migration20261205070000_job_run },
  { name: 'Migration20261205070100_outbox_next_attempt', class: Migration20261205070100_outbox_next_attempt },
  { name: 'Migration20261205090000_case_events_in_audit_log', class: Migration20261205090000_case_events_in_audit_log },
  { name: 'Migration20261205110000_single_use_links', class: Migration20261205110000_single_use_links },
  { name: 'Migration20261205110100_recovery_cancel_links', class: Migration20261205110100_recovery_cancel_links },
];
