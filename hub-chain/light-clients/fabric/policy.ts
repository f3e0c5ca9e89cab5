/** Endorsement policies of the form Fabric channels use most: "at least N of these orgs". */

/** At least `outOf` distinct orgs among `orgs` (MSP ids) endorsed. */
export interface EndorsementPolicy {
  outOf: number;
  orgs: string[];
}

/** Orgs in `policy.orgs` that signed, each counted once (two endorsers of one org are one org). */
export function policySatisfied(policy: EndorsementPolicy, signerOrgs: Iterable<string>): boolean {
  const orgs = new Set([...signerOrgs].filter((o) => policy.orgs.includes(o)));
  return orgs.size >= policy.outOf;
}
