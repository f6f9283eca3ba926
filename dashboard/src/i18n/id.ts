import type { Translations } from './catalogue-types.js';

export default {} satisfies Translations;
