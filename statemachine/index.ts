/** The two state machine definitions, the only copies, and what a run of each costs in Step Functions. */
export { type ArrayPathUsage, arrayPathUsage } from './array-costs';
export {
  ARRAY_PLACEHOLDERS,
  type ArrayPlaceholder,
  arrayDefinitionPath,
  DefinitionSubstitutionError,
  loadArrayDefinition,
  loadMapDefinition,
  MAP_PLACEHOLDERS,
  type MapPlaceholder,
  mapDefinitionPath,
  substituteDefinition,
} from './definitions';
