// The product's own seeded PRNG (mulberry32): the same seed gives the same sequence, so a failure can be replayed.
export { seededRandom } from '../../src/core/proposers/heuristicProposer';
