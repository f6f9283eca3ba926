/** The round-robin front lives with the bench, which runs instances behind it too (bench/ may not import test/). */
export { type RoundRobinFront, startRoundRobinFront } from '../../bench/round-robin-front.js';
