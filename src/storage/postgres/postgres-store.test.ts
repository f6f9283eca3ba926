import { describe } from 'vitest';
import { describeStoreContract } from '../../../test/conformance/index.js';
import { hasPg, pgStoreFactory } from '../../../test/support/pg.js';

describe.runIf(hasPg('postgres store'))('postgres store', () => {
  describeStoreContract('postgres', pgStoreFactory());
});
