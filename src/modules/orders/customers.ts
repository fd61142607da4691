/**
 * What orders needs of the customers' accounts for an admin's list (wired to identity in module-wiring.ts):
 * whose email it is, and the emails of the customers on a page. Orders keeps only user ids.
 */
export interface CustomerDirectory {
  /** The id of the account with this email (case-insensitive), or null when there is none. */
  idByEmail(email: string): Promise<string | null>;
  /** The email of each of these users that exists. */
  emailsOf(userIds: string[]): Promise<Map<string, string>>;
}
