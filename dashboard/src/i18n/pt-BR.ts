import type { Translations } from './catalogue-types';

export default {} satisfies Translations;
