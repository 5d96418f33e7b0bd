/**
 * Fixed periods the retention jobs apply beside the settings (config.retention). The privacy
 * policy reads them too (help/content.ts, contentVariables), so it says what the jobs do.
 */

/** The applicant of an unfinished case is emailed this many days before it is deleted. */
export const UNFINISHED_CASE_WARNING_DAYS = 14;

/**
 * A session's row is kept this long after it ended (idle or absolute limit), so that a person
 * coming back to the tab still reads "you were signed out after … of inactivity".
 */
export const ENDED_SESSION_GRACE_HOURS = 24;

/** A link's row is kept this long after it was used or expired, so that it still reads "already used or expired" rather than "unknown". */
export const ENDED_LINK_GRACE_DAYS = 7;
