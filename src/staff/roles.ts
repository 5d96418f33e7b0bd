/**
 * Staff roles. One account may hold several; an applicant holds none.
 * - reviewer: reviews document images
 * - referee: a Trusted Referee, takes video calls (needs a current certification)
 * - support: answers support requests
 * - supervisor: watches the queues, reassigns work, reads the audit log
 * - admin: manages staff and organizations
 */
export const STAFF_ROLES = ['reviewer', 'referee', 'support', 'supervisor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Each role's name as pages show it (catalog keys, content/messages/<lang>/staff.json). */
export const ROLE_NAMES: Record<StaffRole, string> = {
  reviewer: 'staff.roles.reviewer',
  referee: 'staff.roles.referee',
  support: 'staff.roles.support',
  supervisor: 'staff.roles.supervisor',
  admin: 'staff.roles.admin',
};

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}
