import { describe, expect, it } from 'vitest';
import { policySatisfied } from '../../../../hub-chain/light-clients/fabric/policy.ts';

const twoOfThree = { outOf: 2, orgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'] };

describe('endorsement policy "N of these orgs"', () => {
  it('behavior: satisfied by N distinct orgs of the policy, in any order', () => {
    expect(policySatisfied(twoOfThree, ['Org3MSP', 'Org1MSP'])).toBe(true);
    expect(policySatisfied(twoOfThree, ['Org1MSP', 'Org2MSP', 'Org3MSP'])).toBe(true);
  });

  it('error: one org twice, orgs outside the policy, or too few orgs do not satisfy it', () => {
    expect(policySatisfied(twoOfThree, ['Org1MSP', 'Org1MSP'])).toBe(false);
    expect(policySatisfied(twoOfThree, ['Org1MSP', 'Org9MSP'])).toBe(false);
    expect(policySatisfied(twoOfThree, ['Org2MSP'])).toBe(false);
    expect(policySatisfied(twoOfThree, [])).toBe(false);
  });
});
