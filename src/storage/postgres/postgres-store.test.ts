import { describeStoreContract } from '../../../test/conformance/index.js';
import { pgStoreFactory } from '../../../test/support/pg.js';

describeStoreContract('postgres', pgStoreFactory());
